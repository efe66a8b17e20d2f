// src/models/registry-field-labels.test.ts — the Models page's words for a missing model (webWhenMissing) name the
// Upload page's fields by the labels src/prep-field-labels.ts holds: relabelled there, the registry follows.
import { describe, expect, it, vi } from 'vitest';

vi.mock('../prep-field-labels.js', () => ({
  PREP_FIELD_LABELS: {
    characters: 'People per image',
    segmenter: 'Cut-out method',
    inpainter: 'Text filler',
    captioner: 'Caption writer',
  },
}));

describe("webWhenMissing names the Upload page's fields by their labels", () => {
  it('follows a relabelled field', async () => {
    const { getModelEntry } = await import('./registry.js');
    const words = (id: string) => getModelEntry(id).webWhenMissing;
    expect(words('lama')).toMatch(/^"Text filler" auto fills it/);
    expect(words('isnet-anime')).toMatch(/^"Cut-out method" auto falls back to classic/);
    expect(words('u2net')).toMatch(/^"Cut-out method" u2net fails/);
    expect(words('wd-vit-tagger-v3')).toMatch(/^"Caption writer" auto captions without tags/);
    expect(words('blip-base')).toMatch(/^"Caption writer" blip fails/);
    expect(words('anime-person-detector')).toMatch(/^"People per image" all splits characters/);
  });
});

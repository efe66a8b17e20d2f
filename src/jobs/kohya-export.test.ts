// src/jobs/kohya-export.test.ts — the kohya layout of a reviewed dataset version (pure entries).
import { describe, expect, it } from 'vitest';
import { datasetItemName, kohyaEntries } from './kohya-export.js';

describe('kohyaEntries', () => {
  it('keeps the kohya folder, writes the reviewed caption and leaves excluded items out', () => {
    const entries = kohyaEntries([
      {
        imagePath: 'jobs/j1/dataset/10_sks girl/001-a.png',
        caption: 'sks, girl, red scarf',
        excluded: false,
      },
      { imagePath: 'jobs/j1/dataset/10_sks girl/002-b.png', caption: 'sks, girl', excluded: true },
    ]);
    expect(entries).toEqual([
      { path: '10_sks girl/001-a.png', source: { file: 'jobs/j1/dataset/10_sks girl/001-a.png' } },
      { path: '10_sks girl/001-a.txt', source: { text: 'sks, girl, red scarf\n' } },
    ]);
  });
});

describe('datasetItemName', () => {
  it('names an item as the Dataset page does: its screenshot, and a strip crop its panel (not the key 003-plain)', () => {
    expect(datasetItemName({ source: 'plain.png' })).toBe('plain.png');
    expect(datasetItemName({ source: 'uploads/ep1.png', panel: { index: 3 } })).toBe('ep1.png, panel 3');
  });
});

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BLACK, WHITE, makeRgb, onnxFixture } from '../../test/helpers/images.js';
import { createWd14Captioner, packWd14Input, padToWhiteSquare, parseSelectedTags, selectWd14Tags } from './tag-wd14.js';

describe('WD14 preprocessing (SmilingWolf prepare_image)', () => {
  it('pads to a centred white square', () => {
    const padded = padToWhiteSquare(makeRgb(3, 1, () => [1, 2, 3]));
    expect([padded.width, padded.height]).toEqual([3, 3]);
    expect(Array.from(padded.data.subarray(0, 9))).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 255]);
    expect(Array.from(padded.data.subarray(9, 18))).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3]);
    const wide = padToWhiteSquare(makeRgb(1, 2, () => [9, 9, 9]));
    // 1 wide, 2 high: pad_left = (2 - 1) // 2 = 0, so the white column is on the right
    expect(Array.from(wide.data)).toEqual([9, 9, 9, 255, 255, 255, 9, 9, 9, 255, 255, 255]);
  });
  it('packs NHWC BGR 0..255 without normalising', () => {
    const t = packWd14Input(makeRgb(2, 1, (x) => (x === 0 ? [10, 20, 30] : [200, 100, 0])));
    expect(Array.from(t)).toEqual([30, 20, 10, 0, 100, 200]);
  });
});

describe('WD14 labels and selection', () => {
  const csv = 'tag_id,name,category,count\n1,general,9,5\n2,long_hair,0,5\n3,^_^,0,5\n4,"hatsune_miku",4,5\n5,smile,0,5\n';
  it('reads selected_tags.csv: underscores to spaces, kaomoji kept', () => {
    expect(parseSelectedTags(csv)).toEqual([
      { name: 'general', category: 9 },
      { name: 'long hair', category: 0 },
      { name: '^_^', category: 0 },
      { name: 'hatsune miku', category: 4 },
      { name: 'smile', category: 0 },
    ]);
    expect(() => parseSelectedTags('id,tag\n1,a')).toThrow(/"name" and "category"/);
  });
  it('keeps character tags over 0.85 then general over 0.35, strictly greater, ratings never', () => {
    const labels = parseSelectedTags(csv);
    expect(selectWd14Tags([0.99, 0.5, 0.9, 0.86, 0.35], labels, { general: 0.35, character: 0.85 })).toEqual([
      'hatsune miku',
      '^_^',
      'long hair',
    ]);
    expect(selectWd14Tags([0.99, 0.5, 0.9, 0.85, 0.36], labels, { general: 0.35, character: 0.85 })).toEqual([
      '^_^',
      'long hair',
      'smile',
    ]);
    expect(() => selectWd14Tags([1], labels, { general: 0.35, character: 0.85 })).toThrow(/1 scores.*5 tags/);
  });
});

describe('WD14 on the tiny fixture model', () => {
  it('tags a white and a dark crop differently', async () => {
    const tagger = createWd14Captioner({
      modelPath: onnxFixture('wd-vit-tagger-v3/model.onnx'),
      tagsPath: onnxFixture('wd-vit-tagger-v3/selected_tags.csv'),
      thresholds: { general: 0.35, character: 0.85 },
    });
    const [white, dark] = await tagger.describe([makeRgb(100, 50, () => WHITE), makeRgb(64, 64, () => BLACK)], ['w', 'd']);
    expect(white).toEqual({ tags: ['hatsune miku', '^_^', 'white background'] });
    expect(dark).toEqual({ tags: ['black hair'] });
    expect(readFileSync(onnxFixture('wd-vit-tagger-v3/selected_tags.csv'), 'utf8')).toMatch(/^tag_id,name,category,count/);
  });
});

describe('WD14 with an unreadable tags file', () => {
  it('names the model to remove and pull again (the Models page lists it complete: a pull alone does nothing)', async () => {
    const tagger = createWd14Captioner({
      modelPath: onnxFixture('wd-vit-tagger-v3/model.onnx'),
      tagsPath: '/nonexistent/selected_tags.csv',
      thresholds: { general: 0.35, character: 0.85 },
    });
    await expect(tagger.describe([makeRgb(8, 8, () => WHITE)], ['w'])).rejects.toMatchObject({
      code: 'TL_ERR_MODEL_MISSING',
      fix: { kind: 'repull-model', id: 'wd-vit-tagger-v3' },
    });
  });
});

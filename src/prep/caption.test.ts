import { describe, expect, it } from 'vitest';
import { assembleCaption, combineCaptioners, noCaptioner } from './caption.js';

describe('assembleCaption', () => {
  it('puts the trigger first, then the sentence, then tags, without repeats', () => {
    expect(
      assembleCaption('sks', 'girl', {
        sentence: ' a manga girl with black hair\n',
        tags: ['black hair', 'sks', 'Black Hair', 'smile', ''],
      }),
    ).toBe('sks, a manga girl with black hair, black hair, smile');
  });
  it('falls back to trigger and class words', () => {
    expect(assembleCaption('sks', 'girl', {})).toBe('sks, girl');
    expect(assembleCaption('sks', 'girl', { tags: [] })).toBe('sks, girl');
  });
  it('keeps kaomoji and strips commas inside tags', () => {
    expect(assembleCaption('zyx', 'boy', { tags: ['^_^', 'a,b'] })).toBe('zyx, ^_^, a b');
  });
});

describe('combineCaptioners', () => {
  it('merges sentences and tags per image', async () => {
    const image = { width: 1, height: 1, data: new Uint8Array(3) };
    const combined = combineCaptioners('blip+wd14', [
      { name: 'blip', describe: async (images) => images.map(() => ({ sentence: 'a girl' })) },
      { name: 'wd14', describe: async (images) => images.map(() => ({ tags: ['smile'] })) },
    ]);
    expect(await combined.describe([image, image], ['a', 'b'])).toEqual([
      { sentence: 'a girl', tags: ['smile'] },
      { sentence: 'a girl', tags: ['smile'] },
    ]);
    expect(await noCaptioner.describe([image], ['a'])).toEqual([{}]);
  });
});

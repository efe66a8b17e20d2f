import { describe, expect, it } from 'vitest';
import {
  CLIP_TEXT_TOKENS,
  captionLengthWarning,
  captionShortWarning,
  clipTokenLowerBound,
  describingWords,
} from './caption-tokens.js';

describe('clipTokenLowerBound', () => {
  it("counts CLIP's pieces: words, single digits, punctuation runs, contractions", () => {
    // CLIP BPE: "mina_tl, 1girl, red scarf" -> mina _ tl , 1 girl , red scarf (9 tokens)
    expect(clipTokenLowerBound('mina_tl, 1girl, red scarf')).toBe(9);
    expect(clipTokenLowerBound("she's 20")).toBe(4);
    expect(clipTokenLowerBound('')).toBe(0);
    expect(clipTokenLowerBound('Ünïcode, ok')).toBe(3);
  });
});

describe('captionLengthWarning', () => {
  it('warns while a caption is longer than the 75 tokens CLIP reads, and not at 75', () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `tag${'abcdefghij'[i % 10]}`).join(' ');
    expect(clipTokenLowerBound(tags(CLIP_TEXT_TOKENS))).toBe(75);
    expect(captionLengthWarning(tags(75))).toBe(null);
    expect(captionLengthWarning(tags(76))).toBe(
      'This caption is at least 76 tokens, longer than the 75 tokens CLIP reads: the tags past them are ignored. Shorten it (fewer tags) to train every tag.',
    );
    const long = Array.from({ length: 40 }, (_, i) => `tag ${i % 10}`).join(', ');
    expect(captionLengthWarning(long)).toMatch(/^This caption is at least 119 tokens/);
  });
});

describe('captionShortWarning', () => {
  it('counts the words besides the trigger, the class word and filler', () => {
    expect(describingWords('mina_tl, a manga girl with black hair', 'mina_tl', 'girl')).toEqual([
      'manga',
      'black',
      'hair',
    ]);
    expect(describingWords('Mina.TL, 1girl, solo', 'mina.tl', 'girl')).toEqual(['1girl', 'solo']);
  });

  it('warns about an empty caption, the trigger alone, or one detail; not from two on', () => {
    expect(captionShortWarning('', 'mina_tl', 'girl')).toBe(
      'An empty caption trains as "mina_tl girl" alone: what a caption does not name (pose, clothes, background) is learned as part of mina_tl and shows up whenever it is used. Add a few tags for what you see, e.g. "smile, school uniform, outdoors".',
    );
    expect(captionShortWarning('mina_tl', 'mina_tl', 'girl')).toMatch(
      /^This caption names nothing besides "mina_tl girl": /,
    );
    expect(captionShortWarning('mina_tl, a girl', 'mina_tl', 'girl')).toMatch(/^This caption names nothing/);
    expect(captionShortWarning('mina_tl, girl, smile', 'mina_tl', 'girl')).toMatch(
      /^This caption names one thing besides/,
    );
    expect(captionShortWarning('mina_tl, red scarf', 'mina_tl', 'girl')).toBe(null);
    expect(captionShortWarning('mina_tl, a manga girl with black hair', 'mina_tl', 'girl')).toBe(null);
  });
});

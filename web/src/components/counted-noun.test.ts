// web/src/components/counted-noun.test.ts — a count's noun in the right number.
import { describe, expect, it } from 'vitest';
import { countedNoun } from './counted-noun.js';

describe('countedNoun', () => {
  it('is singular for 1 only', () => {
    expect(countedNoun(1, 'image')).toBe('1 image');
    expect(countedNoun(0, 'image')).toBe('0 images');
    expect(countedNoun(2, 'step')).toBe('2 steps');
    expect(countedNoun(1, 'batch', 'batches')).toBe('1 batch');
    expect(countedNoun(3, 'batch', 'batches')).toBe('3 batches');
  });
});

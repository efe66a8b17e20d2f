import { describe, expect, it } from 'vitest';
import type { Character } from '../../../src/schemas/api.js';
import { cardCounts, deleteQuestion } from './characters.js';

/** A character with the given counts. */
function mina(counts: Pick<Character, 'imageCount' | 'datasetCount' | 'loraCount'>): Character {
  return {
    id: 'c1',
    name: 'Mina',
    trigger: 'mina_tl',
    classWord: 'girl',
    createdAt: '2026-12-06T00:00:00.000Z',
    ...counts,
  };
}

describe('deleteQuestion', () => {
  it('names what goes with the character, in the singular where there is one', () => {
    const character = mina({ imageCount: 1, datasetCount: 2, loraCount: 1 });
    expect(deleteQuestion(character)).toBe(
      'Delete Mina? Its 1 screenshot, 2 datasets and 1 LoRA go with it, with its jobs and generated images, files included; this cannot be undone. Download a LoRA first to keep it.',
    );
  });
});

describe('cardCounts', () => {
  it('uses the singular for one', () => {
    const character = mina({ imageCount: 3, datasetCount: 1, loraCount: 0 });
    expect(cardCounts(character)).toBe('3 screenshots · 1 dataset · 0 LoRAs');
  });
});

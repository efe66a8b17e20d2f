// web/src/components/counted-noun.ts — a count with its noun in the right number ("1 image", "2 images"), for the
// page texts that built `${n} images` whatever n was ("Earlier generations (1 images)"). Pure.

/** `n` and `noun`, plural unless n is 1: `1 image`, `0 images`, `3 steps`; `plural` for a noun not made with -s. */
export function countedNoun(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`;
}

// src/prep/stage-timer.ts — adds up the wall time of each prep stage of one file, in milliseconds
// (the manifest's `timingsMs`); shared by the analysing and finishing halves of a file.

/** Per-stage milliseconds of one file; `time` adds one stage run to its stage's total. */
export class StageTimer {
  constructor(readonly timings: Record<string, number> = {}) {}
  async time<T>(stage: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      this.timings[stage] = Math.round((this.timings[stage] ?? 0) + performance.now() - start);
    }
  }
}

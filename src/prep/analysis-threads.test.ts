// src/prep/analysis-threads.test.ts — the thread plan runPrep and the prep benchmark share: workers
// on many cores, the run thread with inference threads on 2, the run thread alone for stages a
// caller passed in; a plan without threads starts none.
import { describe, expect, it } from 'vitest';
import { analysisWindow } from './analysis-pool.js';
import { planAnalysisThreads, startAnalysisThreads } from './analysis-threads.js';

describe('planAnalysisThreads', () => {
  it('auto on 2 cores: the run thread with 2 inference threads', () => {
    expect(planAnalysisThreads('auto', 48, true, 2)).toEqual({ analysers: 1, helpers: 2 });
  });

  it('auto on 8 cores with 48 files: 3 analysis workers (one per 16 files), no helpers', () => {
    expect(planAnalysisThreads('auto', 48, true, 8)).toEqual({ analysers: 3, helpers: 0 });
  });

  it('--workers N is capped by the files; stages passed in by a caller: the run thread alone', () => {
    expect(planAnalysisThreads(4, 2, true, 8)).toEqual({ analysers: 2, helpers: 0 });
    expect(planAnalysisThreads(4, 48, false, 8)).toEqual({ analysers: 1, helpers: 0 });
  });

  it('one file: no helpers', () => {
    expect(planAnalysisThreads('auto', 1, true, 2)).toEqual({ analysers: 1, helpers: 0 });
  });
});

describe('startAnalysisThreads', () => {
  it('a plan without threads starts none: one file at a time on the run thread', async () => {
    const threads = startAnalysisThreads({ analysers: 1, helpers: 0 });
    expect(threads).toMatchObject({ workers: [], intraOpThreads: 0, hereAtOnce: 1 });
    expect(threads.window).toBe(analysisWindow(0, 1));
    await threads.close();
    await threads.close();
  });
});

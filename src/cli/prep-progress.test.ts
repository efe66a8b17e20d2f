// src/cli/prep-progress.test.ts — without a terminal (mode lines) prep's files and a BLIP captioning pass print a
// plain line at the first step, at most every 30 s after it and at the last step; with --json (mode none) nothing.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { PrepProgress } from '../prep/pipeline.js';
import { createPrepProgress } from './prep-progress.js';

function capture(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk) => chunks.push(String(chunk)));
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

const file = (done: number, total: number): PrepProgress => ({
  done,
  total,
  source: `/in/${done}.png`,
  status: 'ok',
  reason: null,
  crops: 1,
  warnings: [],
});

/** A lines-mode progress writing to a captured stream, on a clock the test moves with `advance(ms)`. */
function linesProgress() {
  const out = capture();
  let t = 0;
  const progress = createPrepProgress({
    mode: 'lines',
    displayPath: (p) => p,
    stream: out.stream,
    now: () => t,
  });
  return {
    out,
    progress,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('createPrepProgress without a terminal (mode lines)', () => {
  it('prints the files and the captioning pass as plain lines at most every 30 s', () => {
    const { out, progress, advance } = linesProgress();
    const { onFileStart, onProgress, onCaptionProgress } = progress.callbacks;
    for (let i = 0; i < 4; i++) {
      onFileStart?.({ done: i, total: 4, source: `/in/${i}.png` });
      advance(10_000); // 10 s a file
      onProgress?.(file(i + 1, 4));
    }
    for (let batch = 1; batch <= 10; batch++) {
      advance(5_000); // 5 s a batch of 8 captions
      onCaptionProgress?.({ done: Math.min(batch * 8, 80), total: 80 });
    }
    progress.stop();
    expect(out.lines()).toEqual([
      'prep 0/4 | ? it/s | eta ?',
      'prep 3/4 | 0.10 it/s | eta 0m10s', // 30 s after the first line
      'prep 4/4 | 0.10 it/s | eta 0m0s', // the last file
      'captioning 8/80 | ? it/s | eta ?', // the pass's first batch: the stage starts here
      'captioning 56/80 | 1.60 it/s | eta 0m15s', // 30 s later
      'captioning 80/80 | 1.60 it/s | eta 0m0s', // the last batch
    ]);
  });

  it('says where the files stood when the run stops between lines', () => {
    const { out, progress, advance } = linesProgress();
    progress.callbacks.onFileStart?.({ done: 0, total: 9, source: '/in/a.png' });
    advance(5_000);
    progress.callbacks.onFileStart?.({ done: 1, total: 9, source: '/in/b.png' });
    progress.stop();
    expect(out.lines()).toEqual(['prep 0/9 | ? it/s | eta ?', 'prep 1/9 | 0.20 it/s | eta 0m40s']);
  });
});

describe('createPrepProgress with --json (mode none)', () => {
  it('prints nothing', () => {
    const out = capture();
    const progress = createPrepProgress({
      mode: 'none',
      displayPath: (p) => p,
      stream: out.stream,
      now: () => 0,
    });
    progress.callbacks.onFileStart?.({ done: 0, total: 1, source: '/in/a.png' });
    progress.callbacks.onCaptionProgress?.({ done: 1, total: 1 });
    progress.stop();
    expect(out.lines()).toEqual([]);
  });
});

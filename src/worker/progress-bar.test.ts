// src/worker/progress-bar.test.ts — with --json (mode none) the worker's log lines still reach stderr (warnings
// prefixed), debug lines and progress events do not; without a terminal (mode lines) progress is a plain line at
// the first step, at most every 30 s after it, and at the last step.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgressReporter } from './progress-bar.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createProgressReporter with --json (mode none)', () => {
  it('prints info and warning lines on stderr and nothing else', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const reporter = createProgressReporter({ mode: 'none', label: 'train' });
    reporter.onEvent({
      version: 1,
      type: 'progress',
      step: 1,
      total: 3,
      loss: 0.5,
      lr: 1e-4,
      it_per_s: 2,
      eta_s: 1,
    });
    reporter.onEvent({ version: 1, type: 'log', level: 'info', message: 'LoRA: 128 modules' });
    reporter.onEvent({ version: 1, type: 'log', level: 'debug', message: 'internal detail' });
    reporter.onEvent({
      version: 1,
      type: 'log',
      level: 'warn',
      message: 'compile: skipped, this DoRA run trains eager',
    });
    reporter.stop();
    expect(written).toEqual([
      'LoRA: 128 modules\n',
      'warning: compile: skipped, this DoRA run trains eager\n',
    ]);
  });
});

function step(step: number, total: number, extra: Partial<{ loss: number | null; eta: number }> = {}) {
  return {
    version: 1,
    type: 'progress',
    step,
    total,
    loss: extra.loss === undefined ? 1.02523 : extra.loss,
    lr: 1e-4,
    it_per_s: 0.17,
    eta_s: extra.eta ?? 307,
  } as const;
}

/** A non-TTY stream (a file, a pipe) that keeps what is written, a clock the test moves, and a reporter (mode
 * lines, label `train` unless told) writing there on that clock. */
function fakeOutput(options: { label?: string; loss?: boolean } = {}) {
  const written: string[] = [];
  const stream = { isTTY: false, write: (chunk: string) => written.push(chunk) > 0 };
  let ms = 1_000_000;
  const now = () => ms;
  return {
    written,
    reporter: createProgressReporter({
      mode: 'lines',
      label: 'train',
      ...options,
      stream: stream as unknown as NodeJS.WritableStream,
      now,
    }),
    advance: (seconds: number) => {
      ms += seconds * 1000;
    },
  };
}

describe('createProgressReporter without a terminal (mode lines)', () => {
  it('prints the first step, then at most one line per 30 s, and the last step', () => {
    const out = fakeOutput();
    const { reporter } = out;
    reporter.onEvent(step(1, 60));
    for (let n = 2; n <= 59; n += 1) {
      out.advance(6); // a step every 6 s: 6 minutes in all
      reporter.onEvent(step(n, 60));
    }
    out.advance(6);
    reporter.onEvent(step(60, 60, { eta: 0 }));
    reporter.stop();
    expect(out.written[0]).toBe('train 1/60 | loss 1.0252 | 0.17 it/s | eta 5m7s\n');
    expect(out.written.at(-1)).toBe('train 60/60 | loss 1.0252 | 0.17 it/s | eta 0m0s\n');
    expect(out.written.map((line) => line.split(' ')[1])).toEqual([
      '1/60',
      '6/60',
      '11/60',
      '16/60',
      '21/60',
      '26/60',
      '31/60',
      '36/60',
      '41/60',
      '46/60',
      '51/60',
      '56/60',
      '60/60',
    ]);
  });

  it('a run that stops before its last step ends with a line for where it stopped', () => {
    const out = fakeOutput();
    const { reporter } = out;
    reporter.onEvent(step(1, 60));
    out.advance(5);
    reporter.onEvent(step(2, 60, { loss: null }));
    reporter.stop();
    reporter.stop();
    expect(out.written).toEqual([
      'train 1/60 | loss 1.0252 | 0.17 it/s | eta 5m7s\n',
      'train 2/60 | loss nan | 0.17 it/s | eta 5m7s\n',
    ]);
  });

  it('has no loss column for sampling steps, and prints log lines as they come', () => {
    const out = fakeOutput({ label: 'generate', loss: false });
    const { reporter } = out;
    reporter.onEvent({ version: 1, type: 'log', level: 'info', message: 'base model loaded in 2.34 s' });
    reporter.onEvent(step(1, 10));
    reporter.onEvent({ version: 1, type: 'log', level: 'debug', message: 'internal detail' });
    reporter.onEvent(step(10, 10, { eta: 0 }));
    reporter.stop();
    expect(out.written).toEqual([
      'base model loaded in 2.34 s\n',
      'generate 1/10 | 0.17 it/s | eta 5m7s\n',
      'generate 10/10 | 0.17 it/s | eta 0m0s\n',
    ]);
  });
});

// src/worker/progress-bar.test.ts — without a bar (no TTY, --json) the worker's log lines still reach stderr
// (warnings prefixed); debug lines and progress events do not.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createProgressReporter } from './progress-bar.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createProgressReporter without a bar', () => {
  it('prints info and warning lines on stderr and nothing else', () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const reporter = createProgressReporter({ enabled: false, label: 'train' });
    reporter.onEvent({ version: 1, type: 'progress', step: 1, total: 3, loss: 0.5, lr: 1e-4, it_per_s: 2, eta_s: 1 });
    reporter.onEvent({ version: 1, type: 'log', level: 'info', message: 'LoRA: 128 modules' });
    reporter.onEvent({ version: 1, type: 'log', level: 'debug', message: 'internal detail' });
    reporter.onEvent({ version: 1, type: 'log', level: 'warn', message: 'compile: skipped, this DoRA run trains eager' });
    reporter.stop();
    expect(written).toEqual(['LoRA: 128 modules\n', 'warning: compile: skipped, this DoRA run trains eager\n']);
  });
});

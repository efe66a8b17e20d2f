// src/cli/worker-progress.test.ts — how `toonlora worker` shows a job's progress: a bar only when stdout and stderr are
// terminals and no --json; else plain lines on stderr, also with --json (stdout keeps its job lines; `toonlora
// train --json` shows none, but a worker's stderr is its log).
import { describe, expect, it } from 'vitest';
import { workerProgressMode } from './worker-progress.js';

const terminal = { stdout: { isTTY: true }, stderr: { isTTY: true } };

describe('workerProgressMode', () => {
  it('draws a bar on a terminal, and prints lines to a pipe or a file, or with --json', () => {
    expect(workerProgressMode(false, terminal)).toBe('bar');
    expect(workerProgressMode(true, terminal)).toBe('lines');
    expect(workerProgressMode(false, { ...terminal, stderr: {} })).toBe('lines');
    expect(workerProgressMode(false, { ...terminal, stdout: {} })).toBe('lines');
  });
});

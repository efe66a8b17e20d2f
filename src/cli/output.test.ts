// src/cli/output.test.ts — when commands draw a progress bar: never with --json, and only when both
// stdout and stderr are terminals; a command's last word reaches stderr when stdout is closed.
import { describe, expect, it } from 'vitest';
import { type FinalStreams, printResult, progressMode, wantsProgressBar } from './output.js';

const tty = { isTTY: true };
const pipe = { isTTY: undefined };

describe('wantsProgressBar', () => {
  it('draws on a terminal', () => {
    expect(wantsProgressBar({}, { stdout: tty, stderr: tty })).toBe(true);
  });
  it('is off with --json', () => {
    expect(wantsProgressBar({ json: true }, { stdout: tty, stderr: tty })).toBe(false);
  });
  it('is off when stdout is piped or redirected', () => {
    expect(wantsProgressBar({}, { stdout: pipe, stderr: tty })).toBe(false);
  });
  it('is off when stderr (where the bar draws) is not a terminal', () => {
    expect(wantsProgressBar({}, { stdout: tty, stderr: pipe })).toBe(false);
  });
});

describe('progressMode', () => {
  it('is a bar on a terminal, plain lines in a file or a pipe, nothing with --json', () => {
    expect(progressMode({}, { stdout: tty, stderr: tty })).toBe('bar');
    expect(progressMode({}, { stdout: pipe, stderr: pipe })).toBe('lines');
    expect(progressMode({}, { stdout: tty, stderr: pipe })).toBe('lines');
    expect(progressMode({ json: true }, { stdout: pipe, stderr: pipe })).toBe('none');
    expect(progressMode({ json: true }, { stdout: tty, stderr: tty })).toBe('none');
  });
});

/** Streams whose stdout is open, or closed as `| head` leaves it (every write fails with EPIPE). */
function streams(closed: boolean): FinalStreams & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: {
      write(text, done) {
        if (closed) done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        else {
          out.push(text);
          done();
        }
        return !closed;
      },
    },
    stderr: {
      write(text) {
        err.push(text);
        return true;
      },
    },
  };
}

describe('printResult', () => {
  const human = (r: { step: number }) =>
    `stopped at step ${r.step}; checkpoint run/step-2. Continue with --resume.`;

  it('prints to stdout while it is open: the human text, or the JSON document with --json', () => {
    const open = streams(false);
    printResult({ step: 2 }, {}, human, open);
    printResult({ step: 2 }, { json: true }, human, open);
    expect(open.out).toEqual([`${human({ step: 2 })}\n`, '{\n  "step": 2\n}\n']);
    expect(open.err).toEqual([]);
  });

  it('writes the human text to stderr when stdout is closed (EPIPE), with --json too', () => {
    for (const json of [false, true]) {
      const closed = streams(true);
      printResult({ step: 2 }, { json }, human, closed);
      expect(closed.err).toEqual(['stopped at step 2; checkpoint run/step-2. Continue with --resume.\n']);
    }
  });
});

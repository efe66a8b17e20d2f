// src/cli/output.test.ts — when commands draw a progress bar: never with --json, and only when both
// stdout and stderr are terminals.
import { describe, expect, it } from 'vitest';
import { wantsProgressBar } from './output.js';

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

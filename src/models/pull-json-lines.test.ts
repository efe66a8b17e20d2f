// Tests of `models pull --json`'s line shapes and the progress throttle (a fake clock, no timers).
import { describe, expect, it } from 'vitest';
import {
  createProgressThrottle,
  formatPullJsonLine,
  progressLine,
  pullJsonLineSchema,
} from './pull-json-lines.js';

describe('createProgressThrottle', () => {
  it('lets the first update through, then one per interval, and always the last', () => {
    let nowMs = 0;
    const due = createProgressThrottle(() => nowMs, 1000);
    expect(due(10, 100)).toBe(true);
    nowMs = 400;
    expect(due(20, 100)).toBe(false);
    nowMs = 999;
    expect(due(30, 100)).toBe(false);
    nowMs = 1000;
    expect(due(40, 100)).toBe(true);
    nowMs = 1100;
    expect(due(100, 100)).toBe(true); // done: said even within the interval
    expect(due(100, 100)).toBe(false); // but once
  });

  it('without a size, by time alone', () => {
    let nowMs = 0;
    const due = createProgressThrottle(() => nowMs, 1000);
    expect(due(1, undefined)).toBe(true);
    nowMs = 500;
    expect(due(2, undefined)).toBe(false);
    nowMs = 1500;
    expect(due(3, undefined)).toBe(true);
  });
});

describe('pull JSON lines', () => {
  it('writes one compact line per object, which the schema reads back', () => {
    const line = progressLine('lama', 'lama_fp32.onnx', 52_000_000, 208_000_000);
    expect(line).toEqual({
      type: 'progress',
      model: 'lama',
      file: 'lama_fp32.onnx',
      receivedBytes: 52_000_000,
      totalBytes: 208_000_000,
      percent: 25,
    });
    const text = formatPullJsonLine(line);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.slice(0, -1)).not.toContain('\n');
    expect(pullJsonLineSchema.parse(JSON.parse(text))).toEqual(line);
    expect(progressLine('lama', 'x', 5, undefined)).toMatchObject({ totalBytes: null, percent: null });
  });

  it('refuses a line of no known type', () => {
    expect(pullJsonLineSchema.safeParse({ type: 'bar', model: 'lama' }).success).toBe(false);
  });
});

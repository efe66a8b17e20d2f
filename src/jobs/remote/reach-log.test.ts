// src/jobs/remote/reach-log.test.ts — the worker's "cannot reach the server" lines with a fake clock: the first
// failure, then one line per 30 s with the count and how long, one when the server is back; and withRetries.
import { describe, expect, it } from 'vitest';
import { duration, UnreachableLog } from './reach-log.js';
import { withRetries } from './retry.js';

describe('UnreachableLog', () => {
  it('prints the first failure, then at most one line every 30 s, then one line when the server is back', () => {
    let now = 1_000_000;
    const log = new UnreachableLog(() => now);
    expect(log.reached()).toBeUndefined(); // nothing failed: nothing to say
    const lines: string[] = [];
    // the server is away for 95 s; the events batches fail once a second
    for (let s = 0; s < 95; s += 1) {
      const line = log.failed('cannot reach http://h:7860 (ECONNREFUSED)');
      if (line) lines.push(line);
      now += 1000;
    }
    expect(lines).toEqual([
      'cannot reach http://h:7860 (ECONNREFUSED)',
      'still failing: 31 failed calls in 30 s (last: cannot reach http://h:7860 (ECONNREFUSED))',
      'still failing: 61 failed calls in 1 min (last: cannot reach http://h:7860 (ECONNREFUSED))',
      'still failing: 91 failed calls in 1 min 30 s (last: cannot reach http://h:7860 (ECONNREFUSED))',
    ]);
    expect(log.reached()).toBe('the server answers again, after 95 failed calls in 1 min 35 s');
    expect(log.reached()).toBeUndefined();
    // a later outage starts over: its first failure is printed again
    expect(log.failed('HTTP 502')).toBe('HTTP 502');
    now += 1000;
    expect(log.reached()).toBe('the server answers again, after 1 failed call in 1 s');
  });

  it('says durations in s, min and h', () => {
    expect([duration(4_400), duration(125_000), duration(3_600_000), duration(3_780_000)]).toEqual([
      '4 s',
      '2 min 5 s',
      '1 h',
      '1 h 3 min',
    ]);
  });
});

describe('withRetries', () => {
  it('tries a failed call again after each wait, and gives up with the last error', async () => {
    const waits: number[] = [];
    const sleep = async (ms: number) => {
      waits.push(ms);
    };
    let calls = 0;
    const flaky = async () => {
      calls += 1;
      if (calls < 3) throw new Error(`down ${calls}`);
      return 'sent';
    };
    expect(await withRetries(flaky, { delaysMs: [10, 20, 30], retryable: () => true, sleep })).toBe('sent');
    expect(waits).toEqual([10, 20]);
    const always = () => Promise.reject(new Error('still down'));
    await expect(withRetries(always, { delaysMs: [1, 1], retryable: () => true, sleep })).rejects.toThrow(
      'still down',
    );
    calls = 0;
    const lost = async () => {
      calls += 1;
      throw new Error('lease lost');
    };
    await expect(withRetries(lost, { delaysMs: [1, 1], retryable: () => false, sleep })).rejects.toThrow(
      'lease lost',
    );
    expect(calls).toBe(1);
  });
});

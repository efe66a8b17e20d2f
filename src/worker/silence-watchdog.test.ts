// Tests of SilenceWatchdog: it fires once after the allowed silence, a touch restarts the wait, and an allowance
// setTimeout cannot keep (over 2^31-1 ms, which Node would fire after 1 ms) is refused instead of killing a worker.
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  MAX_SILENCE_S,
  MAX_TIMER_MS,
  SilenceWatchdog,
  workerSilenceLimitsSchema,
} from './silence-watchdog.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('SilenceWatchdog', () => {
  it('fires once after the allowed silence; a touch starts the wait again', () => {
    vi.useFakeTimers();
    const onSilent = vi.fn();
    const watchdog = new SilenceWatchdog(onSilent);
    watchdog.arm(1000);
    vi.advanceTimersByTime(900);
    watchdog.touch();
    vi.advanceTimersByTime(900);
    expect(onSilent).not.toHaveBeenCalled();
    vi.advanceTimersByTime(100);
    expect(onSilent).toHaveBeenCalledExactlyOnceWith(1000);
    expect(watchdog.armed).toBe(false);
  });

  it('keeps the longest allowance setTimeout honours, and refuses a longer one rather than firing at once', () => {
    vi.useFakeTimers();
    const onSilent = vi.fn();
    const watchdog = new SilenceWatchdog(onSilent);
    watchdog.arm(MAX_TIMER_MS);
    vi.advanceTimersByTime(1000);
    expect(onSilent).not.toHaveBeenCalled();
    watchdog.disarm();
    expect(() => watchdog.arm(MAX_TIMER_MS + 1)).toThrow(RangeError);
    expect(() => watchdog.arm(99999999999 * 1000)).toThrow(/at most 2147483647 ms/);
    expect(() => watchdog.arm(0)).toThrow(RangeError);
    vi.advanceTimersByTime(1000);
    expect(onSilent).not.toHaveBeenCalled();
    expect(watchdog.armed).toBe(false);
  });

  it('limits the allowances in seconds to what fits the timer', () => {
    expect(MAX_SILENCE_S).toBe(2147483);
    expect(workerSilenceLimitsSchema.safeParse({ loadS: MAX_SILENCE_S, requestS: 300 }).success).toBe(true);
    expect(workerSilenceLimitsSchema.safeParse({ loadS: MAX_SILENCE_S + 1, requestS: 300 }).success).toBe(
      false,
    );
  });
});

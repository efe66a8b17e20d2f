// web/src/components/initial-read.test.ts — a page's opening reads retried while the server cannot be reached,
// with backoff, until it answers (a page opened while it was down stayed empty until a reload); its failures are
// marked as a read's.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api.js';
import { errorText, UNREACHABLE } from './error-text.js';
import { onServerBack, type RetryClock, readUntilAnswered, retryDelayMs } from './initial-read.js';
import { isReadFailure } from './shown-page.js';

/** A clock whose timers run when the test says so. */
function manualClock() {
  const waits: number[] = [];
  let pending: (() => void) | null = null;
  const clock: RetryClock = {
    later: (run, ms) => {
      waits.push(ms);
      pending = run;
      return () => {
        pending = null;
      };
    },
  };
  const tick = () => {
    const run = pending;
    pending = null;
    run?.();
  };
  return { clock, waits, tick, hasPending: () => pending !== null };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const down = () => new TypeError('Failed to fetch');

describe('readUntilAnswered', () => {
  it('retries while the server is down, reports the banner once, and fills in when it answers', async () => {
    const { clock, waits, tick } = manualClock();
    const answers: Array<() => Promise<string[]>> = [
      () => Promise.reject(down()),
      () => Promise.reject(down()),
      () => Promise.resolve(['v1']),
    ];
    const values: string[][] = [];
    const errors: string[] = [];
    let back = 0;
    const stopListening = onServerBack(() => {
      back += 1;
    });
    readUntilAnswered(
      () => (answers.shift() ?? (() => Promise.reject(new Error('read too often'))))(),
      (v) => values.push(v),
      (e) => errors.push(errorText(e)),
      clock,
    );
    await settle();
    expect(errors).toEqual([UNREACHABLE]);
    tick();
    await settle();
    tick();
    await settle();
    expect(waits).toEqual([1000, 2000]);
    expect(values).toEqual([['v1']]);
    expect(errors).toEqual([UNREACHABLE]);
    expect(back).toBe(1);
    stopListening();
  });

  it('does not retry a refusal (the server answered), and stops when the page closes', async () => {
    const refused = manualClock();
    const errors: unknown[] = [];
    readUntilAnswered(
      () => Promise.reject(new ApiError(404, 'TL_ERR_NOT_FOUND', 'no such character')),
      () => {},
      (e) => errors.push(e),
      refused.clock,
    );
    await settle();
    expect(errors).toHaveLength(1);
    // a read's failure: dropped by the app once its page is gone (shown-page.ts)
    expect(isReadFailure(errors[0])).toBe(true);
    expect(refused.hasPending()).toBe(false);

    const closed = manualClock();
    let reads = 0;
    const stop = readUntilAnswered(
      () => {
        reads += 1;
        return Promise.reject(down());
      },
      () => {},
      () => {},
      closed.clock,
    );
    await settle();
    expect(closed.hasPending()).toBe(true);
    stop();
    closed.tick();
    expect(reads).toBe(1);
  });

  it('reports a refusal that answers a retry, after telling the listeners the server is back', async () => {
    // unreachable first, then the character was gone (404): before, only the first failure was reported, so the
    // banner stayed, nothing retried, and the app never showed "No such character"
    const { clock, tick, hasPending } = manualClock();
    const answers: Array<() => Promise<string>> = [
      () => Promise.reject(down()),
      () => Promise.reject(new ApiError(404, 'TL_ERR_NOT_FOUND', 'no such character')),
    ];
    const heard: string[] = [];
    const stopListening = onServerBack(() => heard.push('back'));
    readUntilAnswered(
      () => (answers.shift() ?? (() => Promise.reject(new Error('read too often'))))(),
      () => heard.push('value'),
      (e) => heard.push(e instanceof ApiError ? `refused ${e.status}` : errorText(e)),
      clock,
    );
    await settle();
    tick();
    await settle();
    expect(heard).toEqual([UNREACHABLE, 'back', 'refused 404']);
    expect(hasPending()).toBe(false);
    stopListening();
  });

  it('backs off doubling to at most 10 s', () => {
    expect([1, 2, 3, 4, 5, 9].map(retryDelayMs)).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
  });
});

// Tests of the wrong-token limiter on its own, with an injected clock: the block after the limit, the window
// that starts again, a success that clears the count, and the bound on remembered addresses.
import { describe, expect, it } from 'vitest';
import { AuthFailureLimiter } from './auth-limiter.js';

function limiterAt(start = 1_000_000) {
  const clock = { ms: start };
  const limiter = new AuthFailureLimiter({
    limit: 3,
    windowMs: 10_000,
    blockMs: 30_000,
    maxAddresses: 2,
    now: () => clock.ms,
  });
  return { clock, limiter };
}

describe('AuthFailureLimiter', () => {
  it('blocks an address for blockMs at its limit-th wrong token within the window, then lets it try again', () => {
    const { clock, limiter } = limiterAt();
    expect(limiter.recordFailure('a')).toBe(0);
    expect(limiter.recordFailure('a')).toBe(0);
    expect(limiter.recordFailure('a')).toBe(30_000);
    expect(limiter.blockedForMs('b')).toBe(0); // another address is not affected
    clock.ms += 29_000;
    expect(limiter.blockedForMs('a')).toBe(1_000);
    clock.ms += 1_000;
    expect(limiter.blockedForMs('a')).toBe(0);
    expect(limiter.recordFailure('a')).toBe(0); // counting starts again
  });

  it('counts only within the window, and a right token clears the count', () => {
    const { clock, limiter } = limiterAt();
    limiter.recordFailure('a');
    limiter.recordFailure('a');
    clock.ms += 10_000; // the window is over: the count starts again
    expect(limiter.recordFailure('a')).toBe(0);
    expect(limiter.recordFailure('a')).toBe(0);
    limiter.recordSuccess('a');
    expect(limiter.recordFailure('a')).toBe(0);
    expect(limiter.recordFailure('a')).toBe(0);
    expect(limiter.recordFailure('a')).toBe(30_000);
  });

  it('remembers at most maxAddresses, forgetting the one that failed longest ago', () => {
    const { limiter } = limiterAt();
    limiter.recordFailure('a');
    limiter.recordFailure('a');
    limiter.recordFailure('b');
    limiter.recordFailure('c'); // 'a' is forgotten: its two failures no longer count
    expect(limiter.recordFailure('a')).toBe(0);
    expect(limiter.recordFailure('a')).toBe(0);
    expect(limiter.recordFailure('a')).toBe(30_000);
  });
});

// src/server/plugins/auth-limiter.ts — slows down token guessing: counts the wrong tokens each client address
// sends and, past a limit within a window, blocks that address for a short while (the auth plugin answers 429
// with Retry-After). In memory only, bounded in the addresses it remembers; the clock is injected (tests).

/** Wrong tokens one address may send within AUTH_FAILURE_WINDOW_MS before it is blocked. */
export const AUTH_FAILURE_LIMIT = 10;
export const AUTH_FAILURE_WINDOW_MS = 60_000;
/** How long a blocked address is answered 429 (every /api/ request, the right token included: a blocked
 * guesser must not learn which guess was right). */
export const AUTH_BLOCK_MS = 60_000;
/** Addresses remembered at once; the oldest is forgotten first (a flood of addresses cannot fill memory). */
export const AUTH_TRACKED_ADDRESSES = 10_000;

export interface AuthLimiterOptions {
  limit?: number;
  windowMs?: number;
  blockMs?: number;
  maxAddresses?: number;
  /** Milliseconds since some fixed point (default Date.now). */
  now?: () => number;
}

interface AddressState {
  failures: number;
  windowStartMs: number;
  blockedUntilMs: number;
}

export class AuthFailureLimiter {
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly blockMs: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;
  private readonly addresses = new Map<string, AddressState>();

  constructor(options: AuthLimiterOptions = {}) {
    this.limit = options.limit ?? AUTH_FAILURE_LIMIT;
    this.windowMs = options.windowMs ?? AUTH_FAILURE_WINDOW_MS;
    this.blockMs = options.blockMs ?? AUTH_BLOCK_MS;
    this.maxAddresses = options.maxAddresses ?? AUTH_TRACKED_ADDRESSES;
    this.now = options.now ?? (() => Date.now());
  }

  /** Milliseconds `address` is still blocked for; 0 when it may try. */
  blockedForMs(address: string): number {
    const state = this.addresses.get(address);
    return state ? Math.max(0, state.blockedUntilMs - this.now()) : 0;
  }

  /**
   * Counts a wrong token from `address`.
   * @returns milliseconds the address is now blocked for (0 while it is under the limit)
   */
  recordFailure(address: string): number {
    const now = this.now();
    let state = this.addresses.get(address);
    if (!state || now - state.windowStartMs >= this.windowMs) {
      state = { failures: 0, windowStartMs: now, blockedUntilMs: state?.blockedUntilMs ?? 0 };
    }
    this.addresses.delete(address); // re-inserted last: the Map's order is the forgetting order
    state.failures += 1;
    if (state.failures >= this.limit) {
      state.blockedUntilMs = now + this.blockMs;
      state.failures = 0;
      state.windowStartMs = now;
    }
    this.addresses.set(address, state);
    this.forgetOldest();
    return this.blockedForMs(address);
  }

  /** A right token: the address's count starts again. */
  recordSuccess(address: string): void {
    this.addresses.delete(address);
  }

  private forgetOldest(): void {
    for (const address of this.addresses.keys()) {
      if (this.addresses.size <= this.maxAddresses) return;
      this.addresses.delete(address);
    }
  }
}

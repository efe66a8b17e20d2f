// src/server/plugins/session-store.test.ts — the session store's bound: past its limit, a new session ends the
// least recently used one; an ended or unknown id is refused and forgotten.
import { describe, expect, it } from 'vitest';
import { SessionStore } from './session-store.js';

describe('SessionStore', () => {
  it('keeps at most `limit` sessions, ending the least recently used first', () => {
    const store = new SessionStore({ limit: 2 });
    const first = store.create();
    const second = store.create();
    expect(store.use(first)).toBe(true); // now the second is the least recently used
    const third = store.create();
    expect(store.size).toBe(2);
    expect(store.use(second)).toBe(false);
    expect(store.use(first)).toBe(true);
    expect(store.use(third)).toBe(true);
  });

  it('refuses an unknown, missing or revoked id', () => {
    const store = new SessionStore();
    const id = store.create();
    expect(store.use(undefined)).toBe(false);
    expect(store.use('')).toBe(false);
    expect(store.use(`${id}x`)).toBe(false);
    store.revoke(id);
    expect(store.use(id)).toBe(false);
    expect(store.size).toBe(0);
  });

  it('forgets a session once it is found ended', () => {
    let now = 0;
    const store = new SessionStore({ idleMs: 10, maxAgeMs: 100, now: () => now });
    const id = store.create();
    now = 10;
    expect(store.use(id)).toBe(false);
    expect(store.size).toBe(0);
  });
});

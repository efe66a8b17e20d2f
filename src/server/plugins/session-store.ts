// src/server/plugins/session-store.ts — the web app's sessions (the cookie POST /api/session sets): each one a
// random id, kept in memory with when it was made and last used. A session ends when it is revoked (DELETE
// /api/session), after SESSION_IDLE_MS unused, SESSION_MAX_AGE_MS after it was made, or when SESSION_LIMIT newer
// ones push it out (the least recently used goes first); a server restart ends them all (the web app trades its
// stored token again). Ids are looked up by their SHA-256, so neither the lookup's timing nor the map holds an id.
// The clock is injected (tests).
import { createHash, randomBytes } from 'node:crypto';

/** A session unused this long ends (the web app, open in a tab, reads far more often). */
export const SESSION_IDLE_MS = 7 * 24 * 60 * 60 * 1000;
/** A session ends this long after it was made, however often it is used. */
export const SESSION_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
/** Live sessions at once; a new one past it ends the least recently used (a client making sessions in a loop
 * cannot fill memory). */
export const SESSION_LIMIT = 1000;

export interface SessionStoreOptions {
  idleMs?: number;
  maxAgeMs?: number;
  limit?: number;
  /** Milliseconds since some fixed point (default Date.now). */
  now?: () => number;
}

interface SessionTimes {
  createdMs: number;
  lastUsedMs: number;
}

/** A new session id: 32 random bytes, base64url (43 characters). */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

function sessionKey(id: string): string {
  return createHash('sha256').update(id).digest('base64url');
}

export class SessionStore {
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly limit: number;
  private readonly now: () => number;
  /** By sessionKey, least recently used first (a use moves a session to the end). */
  private readonly sessions = new Map<string, SessionTimes>();

  constructor(options: SessionStoreOptions = {}) {
    this.idleMs = options.idleMs ?? SESSION_IDLE_MS;
    this.maxAgeMs = options.maxAgeMs ?? SESSION_MAX_AGE_MS;
    this.limit = options.limit ?? SESSION_LIMIT;
    this.now = options.now ?? (() => Date.now());
  }

  /** Starts a session; returns its id, for the cookie. */
  create(): string {
    const id = newSessionId();
    const now = this.now();
    this.sessions.set(sessionKey(id), { createdMs: now, lastUsedMs: now });
    for (const key of this.sessions.keys()) {
      if (this.sessions.size <= this.limit) break;
      this.sessions.delete(key);
    }
    return id;
  }

  /** Whether `id` names a live session; a live one counts as used now, an ended one is forgotten. */
  use(id: string | undefined): boolean {
    if (!id) return false;
    const key = sessionKey(id);
    const times = this.sessions.get(key);
    if (!times) return false;
    this.sessions.delete(key);
    const now = this.now();
    if (now - times.lastUsedMs >= this.idleMs || now - times.createdMs >= this.maxAgeMs) return false;
    this.sessions.set(key, { ...times, lastUsedMs: now });
    return true;
  }

  /** Ends the session `id` names (nothing when it names none). */
  revoke(id: string | undefined): void {
    if (id) this.sessions.delete(sessionKey(id));
  }

  /** Live sessions and ended ones not yet forgotten (tests). */
  get size(): number {
    return this.sessions.size;
  }
}

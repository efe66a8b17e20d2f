// web/src/components/initial-read.ts — the reads a page makes as it opens (its lists), retried while the server
// cannot be reached: the first failure shows the banner once, the read is tried again with backoff (1 s, 2 s,
// 4 s … at most every 10 s) until the server answers, and then the page fills in and the banner goes
// (serverBack). A page opened while the server was down stayed empty until a reload before. Any other error
// (the server answered with a refusal, at first or on a retry) is reported and not retried.
import { isUnreachable } from './error-text.js';
import { asReadFailure } from './shown-page.js';

export const FIRST_RETRY_MS = 1000;
export const MAX_RETRY_MS = 10_000;

/** A timer as setTimeout / clearTimeout give it, swappable in tests. */
export interface RetryClock {
  later: (run: () => void, ms: number) => () => void;
}

const realClock: RetryClock = {
  later: (run, ms) => {
    const timer = setTimeout(run, ms);
    return () => clearTimeout(timer);
  },
};

const backListeners = new Set<() => void>();

/** Called when a retried read got its answer: the server is back (the app clears its "Cannot reach" banner). */
export function onServerBack(listener: () => void): () => void {
  backListeners.add(listener);
  return () => {
    backListeners.delete(listener);
  };
}

/** Tells the listeners the server answered again. */
function serverBack(): void {
  for (const listener of [...backListeners]) listener();
}

/** The wait before retry number `attempt` (1-based): doubling from FIRST_RETRY_MS, at most MAX_RETRY_MS. */
export function retryDelayMs(attempt: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1));
}

/**
 * Runs `read` and hands its answer to `value`; while the server is unreachable, tries again with backoff
 * (`error` hears the first unreachable failure, and a refusal whenever it comes: it ends the retries; both marked
 * as a read's failure, dropped once the page is gone: shown-page.ts).
 * Returns the stop for an effect's cleanup: no retry and no answer after it.
 */
export function readUntilAnswered<T>(
  read: () => Promise<T>,
  value: (answer: T) => void,
  error: (reason: unknown) => void,
  clock: RetryClock = realClock,
): () => void {
  let stopped = false;
  let cancelTimer: (() => void) | null = null;
  let failures = 0;
  const attempt = () => {
    cancelTimer = null;
    read().then(
      (answer) => {
        if (stopped) return;
        if (failures > 0) serverBack();
        value(answer);
      },
      (reason: unknown) => {
        if (stopped) return;
        failures += 1;
        if (isUnreachable(reason)) {
          if (failures === 1) error(asReadFailure(reason));
          cancelTimer = clock.later(attempt, retryDelayMs(failures));
          return;
        }
        // the server answered, with a refusal: after an unreachable try it is back (the banner goes first), and
        // the refusal is reported (a 404 after a retry was dropped: the banner stayed, "No such character" never came)
        if (failures > 1) serverBack();
        error(asReadFailure(reason));
      },
    );
  };
  attempt();
  return () => {
    stopped = true;
    cancelTimer?.();
  };
}

// src/jobs/remote/retry.ts — a worker's upload tried again after a failure (the server restarting, a network
// blip), with growing waits, before the worker gives up on it. The waits and the sleep are given (tests: none).

/** The waits before the 2nd, 3rd and 4th try of a sample upload. */
export const SAMPLE_UPLOAD_RETRY_MS: readonly number[] = [1_000, 4_000, 15_000];

export interface RetryOptions {
  /** The wait before each further try; its length is how many times a failure is tried again. */
  delaysMs: readonly number[];
  /** Whether an error is worth another try (a lost lease is not). */
  retryable: (error: unknown) => boolean;
  sleep?: (ms: number) => Promise<void>;
  /** Called before each further try, with the error of the one before. */
  onRetry?: (error: unknown, attempt: number) => void;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `ms`, or less when `signal` aborts (the worker's Ctrl-C does not wait out a retry's pause). */
export function sleepUnless(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return wait(ms);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    if (signal.aborted) done();
  });
}

/** `run()`, tried again after each retryable failure while waits are left; the last error is thrown. */
export async function withRetries<T>(run: () => Promise<T>, options: RetryOptions): Promise<T> {
  const sleep = options.sleep ?? wait;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      const delay = options.delaysMs[attempt - 1];
      if (delay === undefined || !options.retryable(error)) throw error;
      options.onRetry?.(error, attempt);
      await sleep(delay);
    }
  }
}

/** The most a wait between tries of a run's final report grows to. */
const FINAL_REPORT_MAX_WAIT_MS = 30_000;

/**
 * The waits before each further try of a run's final report (the LoRA upload, the fail / stop report): 2 s,
 * growing to 30 s, until they add up to at least twice the lease or 5 minutes (a server restart, a network
 * pause). `leaseMs` is the lease's length as the claim implies it.
 */
export function finalReportDelays(leaseMs: number): number[] {
  const total = Math.max(2 * leaseMs, 5 * 60_000);
  const delays: number[] = [];
  let sum = 0;
  for (let next = 2_000; sum < total; next = Math.min(next * 2, FINAL_REPORT_MAX_WAIT_MS)) {
    delays.push(next);
    sum += next;
  }
  return delays;
}

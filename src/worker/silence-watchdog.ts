// src/worker/silence-watchdog.ts — notices a worker that is alive but stuck: while something is in flight, no
// event for longer than the allowed silence fires `onSilent` once. It only keeps the timer; the caller decides what
// "in flight" is, what resets the timer and what to do with a silent worker (GenerationWorker kills it).
import { z } from 'zod';

/** The longest delay Node's setTimeout honours (2^31-1 ms, ~24.8 days): a longer one fires after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The longest silence allowance in whole seconds that still fits MAX_TIMER_MS (2147483). */
export const MAX_SILENCE_S = Math.floor(MAX_TIMER_MS / 1000);
/** The shortest silence allowance: below a second no worker answers in time (it would die at its first job). */
export const MIN_SILENCE_S = 1;

/**
 * How long a generation worker may send nothing while it owes an answer, in seconds. `loadS`: a cold worker, from
 * its start (the base model loads) until the first sampling step of its first request (first LoRA load, GPU
 * kernels warm up); `requestS`: any later request, between two of its events (a sampling step each, then the VAE
 * decode and the PNGs). Defaults: SERVE_DEFAULTS (src/schemas/serve-defaults.ts).
 */
export const workerSilenceLimitsSchema = z.object({
  loadS: z.number().min(MIN_SILENCE_S).max(MAX_SILENCE_S),
  requestS: z.number().min(MIN_SILENCE_S).max(MAX_SILENCE_S),
});
export type WorkerSilenceLimits = z.infer<typeof workerSilenceLimitsSchema>;

/** A timer that fires `onSilent(limitMs)` when `arm`ed and not `touch`ed for `limitMs`; at most once until re-armed. */
export class SilenceWatchdog {
  private timer: NodeJS.Timeout | undefined;
  private limitMs = 0;

  constructor(private readonly onSilent: (limitMs: number) => void) {}

  /** Starts (or restarts) the wait, allowing `limitMs` of silence from now; throws a RangeError for an allowance
   * setTimeout cannot keep (not above 0, or over MAX_TIMER_MS: it would fire at once and kill a healthy worker). */
  arm(limitMs: number): void {
    if (!(limitMs > 0 && limitMs <= MAX_TIMER_MS)) {
      throw new RangeError(`silence limit must be above 0 and at most ${MAX_TIMER_MS} ms, got ${limitMs}`);
    }
    this.limitMs = limitMs;
    this.restart();
  }

  /** Something arrived: the wait starts again, with the current allowance, if one is running. */
  touch(): void {
    if (this.timer) this.restart();
  }

  /** Nothing is owed any more: no timer runs until the next `arm`. */
  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get armed(): boolean {
    return this.timer !== undefined;
  }

  private restart(): void {
    clearTimeout(this.timer);
    const limitMs = this.limitMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onSilent(limitMs);
    }, limitMs);
    // a stuck worker must not keep the process alive on its own (serve's server does that)
    this.timer.unref();
  }
}

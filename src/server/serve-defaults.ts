// src/server/serve-defaults.ts — every default of `toonlora serve` written once: the CLI's flags and help,
// the app's options and the README take them from here (the shutdown grace is the queue's SHUTDOWN_GRACE_MS).

export const SERVE_DEFAULTS = {
  /** Loopback: anything else needs TOONLORA_TOKEN. */
  host: '127.0.0.1',
  port: 7860,
  /**
   * Jobs waiting in the queue (not counting the running one) before a new one is refused with 429: each
   * waits for the one GPU, so a longer queue is a client looping, not a plan.
   */
  maxQueued: 20,
} as const;

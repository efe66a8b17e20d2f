// src/schemas/serve-defaults.ts — every default of `toonlora serve` written once: the CLI's flags and help and
// the app's options take them from here, and docs/commands.md, server.md and how-it-works.md quote them
// (serve-defaults.test.ts checks each quote; the shutdown grace is the queue's SHUTDOWN_GRACE_MS).
// One-shot `toonlora generate` reads its two worker silence limits from here too (src/cli/worker-timeout-flags.ts):
// it sits in schemas/ so that the CLI reads them without importing the server.

export const SERVE_DEFAULTS = {
  /** Loopback: anything else needs TOONLORA_TOKEN. */
  host: '127.0.0.1',
  port: 7860,
  /**
   * Jobs waiting in the queue (not counting the running one) before a new one is refused with 429: each
   * waits for the one GPU, so a longer queue is a client looping, not a plan.
   */
  maxQueued: 20,
  /**
   * Seconds the generation worker may send nothing while rendering (it reports every sampling step; the VAE
   * decode and the PNGs follow the last one) before it is killed, its job fails saying so, and the next job
   * starts a fresh worker.
   */
  workerTimeoutS: 300,
  /**
   * The same for a cold worker: loading the base model (from disk: it sends nothing meanwhile), then its first
   * request until its first sampling step (first LoRA load, GPU kernels warming up).
   */
  workerLoadTimeoutS: 900,
  /**
   * `--remote-workers`: seconds a remote worker's lease lasts without a report (it reports every quarter of it);
   * past it the job is marked interrupted (resumable). Long enough for a slow network, short enough to notice
   * a machine gone.
   */
  workerLeaseS: 60,
  /** `--remote-workers`: train jobs offered to the workers at once (each waits for a worker's claim). */
  remoteJobs: 8,
} as const;

// src/cli/worker-timeout-flags.ts — the generation worker's silence flags, `--worker-timeout` and
// `--worker-load-timeout`, shared by `serve` (its warm worker) and `generate` (a one-shot worker): their help,
// their defaults (SERVE_DEFAULTS, the one place they are written) and their parsing (workerSilenceLimitsSchema).
import type { Command } from 'commander';
import { ToonloraError } from '../errors.js';
import { SERVE_DEFAULTS } from '../schemas/serve-defaults.js';
import {
  MAX_SILENCE_S,
  MIN_SILENCE_S,
  type WorkerSilenceLimits,
  workerSilenceLimitsSchema,
} from '../worker/silence-watchdog.js';
import { numberFlag } from './number-flag.js';

export interface WorkerTimeoutFlags {
  workerTimeout: string;
  workerLoadTimeout: string;
}

/** A `--worker-timeout` / `--worker-load-timeout` text as seconds: a decimal number (`300`, `1e3`, `2.5`, as every
 * numeric flag reads it) of at least MIN_SILENCE_S (below, the worker dies at its first job) and at most
 * MAX_SILENCE_S (a longer timer would fire after 1 ms and fail every job as a silent worker). */
export function parseTimeoutSeconds(flag: string, value: string, fallback: number): number {
  const seconds = numberFlag(value, flag);
  // the rule GenerationWorker and runWorker check their limits with
  if (workerSilenceLimitsSchema.shape.requestS.safeParse(seconds).success) return seconds;
  throw new ToonloraError(
    'TL_ERR_USAGE',
    seconds < MIN_SILENCE_S
      ? `${flag}: expected a number of seconds, at least ${MIN_SILENCE_S}, got ${JSON.stringify(value)}. Set ${flag} ${fallback}.`
      : `${flag}: at most ${MAX_SILENCE_S} seconds (Node's longest timer, ~24.8 days), got ${JSON.stringify(value)}. Set ${flag} ${MAX_SILENCE_S} or less.`,
  );
}

/** Both flags as the worker's silence limits. @throws TL_ERR_USAGE naming the flag. */
export function workerSilenceFromFlags(flags: WorkerTimeoutFlags): WorkerSilenceLimits {
  return {
    requestS: parseTimeoutSeconds('--worker-timeout', flags.workerTimeout, SERVE_DEFAULTS.workerTimeoutS),
    loadS: parseTimeoutSeconds(
      '--worker-load-timeout',
      flags.workerLoadTimeout,
      SERVE_DEFAULTS.workerLoadTimeoutS,
    ),
  };
}

/** Adds both flags to `command`; `outcome` says what follows a worker killed for its silence. */
export function addWorkerTimeoutOptions(command: Command, outcome: string): Command {
  return command
    .option(
      '--worker-timeout <s>',
      'seconds the generation worker may send nothing while rendering (it reports every sampling step and every ' +
        `decoded image) before it is killed: ${outcome}`,
      String(SERVE_DEFAULTS.workerTimeoutS),
    )
    .option(
      '--worker-load-timeout <s>',
      'the same for a cold worker: loading the base model, then its first job until the first sampling step',
      String(SERVE_DEFAULTS.workerLoadTimeoutS),
    );
}

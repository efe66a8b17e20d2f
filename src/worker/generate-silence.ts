// src/worker/generate-silence.ts — what the generation workers (one-shot runGeneration, warm GenerationWorker) say
// and check about their silence limits: the error of a worker killed for its silence, naming the flag that raises
// the allowance, and the check of limits given in code (the rule the CLI flags use).
import { ToonloraError } from '../errors.js';
import {
  MAX_SILENCE_S,
  MIN_SILENCE_S,
  type WorkerSilenceLimits,
  workerSilenceLimitsSchema,
} from './silence-watchdog.js';

/**
 * TL_ERR_WORKER for a worker killed by its silence watchdog after `silentS` s of silence, naming the flag that
 * raises the allowance: `cold` (loading, or the first request before its first sampling step) the load one.
 * `loading`: no request was in flight yet (only serve's warm worker loads without one).
 */
export function silentWorkerError(
  command: 'generate' | 'serve',
  silentS: number,
  cold: boolean,
  loading: boolean,
): ToonloraError {
  const flag = cold ? '--worker-load-timeout' : '--worker-timeout';
  const what =
    command === 'serve'
      ? `${loading ? ' while loading the base model' : ''}; it was stopped and will be restarted for the next job`
      : `${cold ? ' while loading the base model or the LoRA' : ''}; it was stopped and no image was written`;
  return new ToonloraError(
    'TL_ERR_WORKER',
    `the generation worker sent nothing for ${silentS} s${what}. If the GPU is just slow (a large image, many ` +
      `seeds, a big base model), raise the allowance: toonlora ${command} ${flag} <s>.`,
    { details: { worker: command === 'serve' ? 'serve-generation' : 'generate', silentS, stalled: true } },
  );
}

/** @throws RangeError naming the limit that workerSilenceLimitsSchema (the CLI flags' rule) refuses. */
export function checkedSilence(
  silence: WorkerSilenceLimits,
  owner = 'GenerationWorker',
): WorkerSilenceLimits {
  const checked = workerSilenceLimitsSchema.safeParse(silence);
  if (checked.success) return checked.data;
  const issue = checked.error.issues[0];
  throw new RangeError(
    `${owner} silence.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} ` +
      `(seconds, at least ${MIN_SILENCE_S} and at most ${MAX_SILENCE_S}), got ${JSON.stringify(silence)}`,
  );
}

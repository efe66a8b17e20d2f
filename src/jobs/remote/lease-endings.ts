// src/jobs/remote/lease-endings.ts — the errors a remote train job ends with when it does not succeed: the worker's
// own failure, its stop (asked by a cancel, or on its own), its silence past the lease, a shutdown cutting a cancel
// short. Pure: the lease board (lease-board.ts) ends the job's attempt with them.
import { ERRORS, type ErrorCode, ToonloraError } from '../../errors.js';
import { JobInterruptedError } from '../job-queue.js';
import type { StoredCheckpoint } from './checkpoint-store.js';
import type { LeaseFail } from './protocol.js';

/** `60 s`, or `250 ms` under a second. */
export const seconds = (ms: number) => (ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`);

/** What worker `worker`'s fail report ends the job with; `asked`: a cancel had asked it to stop. */
export function workerFailError(worker: string, body: LeaseFail, asked: boolean): Error {
  const { code, message, fix } = body.error;
  if (!body.stopped) {
    const known = (Object.keys(ERRORS) as ErrorCode[]).find((name) => name === code) ?? 'TL_ERR_WORKER';
    return new ToonloraError(known, `worker ${worker}: ${message}`, {
      fix,
      details: { remoteWorker: worker },
    });
  }
  if (asked) return new Error('stopped');
  return new JobInterruptedError(
    `worker ${worker} stopped the run itself (${message}); resume the job to continue from its ` +
      'checkpoint (on any worker when it reached this server, else on that machine)',
  );
}

/** The job lost worker `worker`, silent for `leaseMs`; `kept`: the checkpoint this server keeps for it. */
export function leaseExpiredError(
  worker: string,
  jobId: string,
  leaseMs: number,
  kept: StoredCheckpoint | null,
): JobInterruptedError {
  const from = kept
    ? `any worker continues from the checkpoint of step ${kept.step} this server keeps, or from a newer one ` +
      'on its own disk (the same machine)'
    : 'a worker continues from its checkpoint when it has it (the same machine), otherwise it trains from step 1';
  return new JobInterruptedError(
    `worker ${worker} stopped reporting (nothing for ${seconds(leaseMs)}): it was stopped, ` +
      `or its machine or network went away. Resume the job: ${from} (job ${jobId}).`,
  );
}

/** The server shut down while a cancel waited for worker `worker`: not waited for, recorded interrupted. */
export function shutdownDuringCancelError(worker: string): JobInterruptedError {
  return new JobInterruptedError(
    `the server shut down while a cancel waited for worker ${worker}; once the server is back it ` +
      'finds its lease gone and stops with a checkpoint on its machine. Resume the job to continue it.',
  );
}

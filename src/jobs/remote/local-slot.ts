// src/jobs/remote/local-slot.ts — with remote workers the queue runs several jobs at once (train jobs wait on
// workers, not on this machine), but this machine still has one GPU: the local runners (prep, generate) take
// turns through one slot, in the order they started; a job stopped while it waits ends without running.
import type { JobRunner, JobRunners } from '../job-queue.js';

/** `runners` with each call holding one shared slot while it runs. */
export function oneLocalJobAtATime(runners: JobRunners): JobRunners {
  let tail: Promise<void> = Promise.resolve();
  let busy = false;
  const wrap =
    (runner: JobRunner): JobRunner =>
    async (context) => {
      const previous = tail;
      let free = () => {};
      tail = new Promise<void>((resolve) => {
        free = resolve;
      });
      let ran = false;
      try {
        if (busy) {
          context.emit({
            type: 'log',
            level: 'info',
            message: 'waiting for the local job before it (one at a time)',
          });
        }
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => reject(new Error('stopped before it started'));
          context.signal.addEventListener('abort', onAbort, { once: true });
          previous.then(() => {
            context.signal.removeEventListener('abort', onAbort);
            resolve();
          });
        });
        busy = true;
        ran = true;
        return await runner(context);
      } finally {
        if (ran) busy = false;
        // a job stopped while it waited frees its turn only once the one before it is done
        void previous.then(free);
      }
    };
  return Object.fromEntries(
    Object.entries(runners).map(([kind, runner]) => [kind, runner ? wrap(runner) : runner]),
  ) as JobRunners;
}

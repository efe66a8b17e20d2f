// web/src/components/queue-wait.ts — what a queued job waits for now (pure), from its place in the queue as the
// job's event stream last sent it (a `queue` live event: the running jobs' kinds, how many queued jobs start before
// it), so the "waiting for …" line follows the queue instead of naming the jobs that ran when it was submitted.
import type { JobLiveEventBody } from '../../../src/schemas/api.js';

/** A queued job's place, as its stream's `queue` event gives it. */
export type QueuePlace = Pick<Extract<JobLiveEventBody, { type: 'queue' }>, 'running' | 'ahead'>;

/** What a job at `place` waits for: the running jobs (by kind) and the queued jobs that start before it. */
export function queueWaitText(place: QueuePlace): string {
  const { running, ahead } = place;
  const before = ahead > 0 ? `${ahead} queued job${ahead === 1 ? '' : 's'} before it` : null;
  if (running.length === 0) return before ? `waiting for ${before}` : 'next to start';
  const runningText = `the running ${running.join(' and ')} job${running.length === 1 ? '' : 's'}`;
  return `waiting for ${runningText}${before ? ` and ${before}` : ''}`;
}

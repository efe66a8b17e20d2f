// web/src/components/queue-wait.ts — what a queued job waits for now (pure), from the server's queue as it
// is (GET /api/jobs?status=running and ?status=queued), so the "waiting for …" line follows the queue
// instead of naming the jobs that ran when the job was submitted.
import type { Job } from '../../../src/schemas/api.js';

/** How often a page re-reads the queue while its job waits in it. */
export const QUEUE_POLL_MS = 2000;

/**
 * What job `jobId` waits for: the running jobs (by kind) and the queued jobs that start before it (`queued`
 * is newest first, as the API lists it; the oldest starts first). null when it is not queued any more (its
 * stream says what it does then).
 */
export function queueWaitText(
  jobId: string,
  running: readonly Pick<Job, 'kind'>[],
  queued: readonly Pick<Job, 'id'>[],
): string | null {
  const index = queued.findIndex((job) => job.id === jobId);
  if (index < 0) return null;
  const ahead = queued.length - 1 - index;
  const before = ahead > 0 ? `${ahead} queued job${ahead === 1 ? '' : 's'} before it` : null;
  if (running.length === 0) return before ? `waiting for ${before}` : 'next to start';
  const kinds = running.map((job) => job.kind).join(' and ');
  const runningText = `the running ${kinds} job${running.length === 1 ? '' : 's'}`;
  return `waiting for ${runningText}${before ? ` and ${before}` : ''}`;
}

// web/src/components/use-queue-wait.ts — a React hook: what a queued job waits for now (queue-wait.ts), from the
// `queue` events its event stream pushes (jobLiveFeed; nothing is polled); null while the job is not queued or
// before its stream said where it stands.
import type { JobStatus } from '../../../src/schemas/api.js';
import { queueWaitText } from './queue-wait.js';
import { useLiveState } from './use-live-state.js';

export function useQueueWait(jobId: string | null, status: JobStatus | null): string | null {
  const place = useLiveState(jobId, 'queue');
  return status === 'queued' && place ? queueWaitText(place.body) : null;
}

// web/src/components/use-live-state.ts — a React hook reading one job's latest live event of a type from the
// page's jobLiveFeed (job-live.ts), re-rendering when it changes; undefined without a job or before one came.
import { useCallback, useSyncExternalStore } from 'react';
import { jobLiveFeed, type LiveState, type LiveType } from './job-live.js';

const noJob = () => () => {};

export function useLiveState<T extends LiveType>(jobId: string | null, type: T): LiveState<T> | undefined {
  const subscribe = useCallback(
    (onChange: () => void) => (jobId ? jobLiveFeed.subscribe(jobId, onChange) : noJob()),
    [jobId],
  );
  const read = useCallback(() => (jobId ? jobLiveFeed.latest(jobId, type) : undefined), [jobId, type]);
  return useSyncExternalStore(subscribe, read, read);
}

// web/src/components/use-job.ts — a React hook that follows one job over server-sent events and keeps
// what job-view.ts folds from them (a message it could not read included, logged to the console too), and
// whether the stream is down (being reconnected); while the job is queued, what it waits for now.
import { useEffect, useMemo, useState } from 'react';
import { followJob } from '../api.js';
import {
  EMPTY_JOB_VIEW,
  type JobView,
  jobViewAfter,
  jobViewAfterConnection,
  jobViewAfterUnreadable,
} from './job-view.js';
import { useQueueWait } from './use-queue-wait.js';

export type { JobView } from './job-view.js';

export function useJob(jobId: string | null, restartKey = 0): JobView {
  const [view, setView] = useState<JobView>(EMPTY_JOB_VIEW);
  // biome-ignore lint/correctness/useExhaustiveDependencies: restartKey re-follows a resumed job
  useEffect(() => {
    setView(EMPTY_JOB_VIEW);
    if (!jobId) return;
    return followJob(jobId, {
      event: (event) =>
        setView((current) => jobViewAfter(jobViewAfterConnection(current, false), event.body)),
      connection: (lost) => setView((current) => jobViewAfterConnection(current, lost)),
      unreadable: (problem) => {
        console.error(`job ${jobId}: ${problem}`);
        setView((current) => jobViewAfterUnreadable(current, problem));
      },
    });
  }, [jobId, restartKey]);
  const waiting = useQueueWait(jobId, view.status);
  return useMemo(() => (waiting === view.waiting ? view : { ...view, waiting }), [view, waiting]);
}

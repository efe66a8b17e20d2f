// web/src/components/use-job.ts — a React hook that follows one job over server-sent events and keeps
// what job-view.ts folds from them.
import { useEffect, useState } from 'react';
import { followJob } from '../api.js';
import { EMPTY_JOB_VIEW, type JobView, jobViewAfter } from './job-view.js';

export type { JobView } from './job-view.js';

export function useJob(jobId: string | null, restartKey = 0): JobView {
  const [view, setView] = useState<JobView>(EMPTY_JOB_VIEW);
  // biome-ignore lint/correctness/useExhaustiveDependencies: restartKey re-follows a resumed job
  useEffect(() => {
    setView(EMPTY_JOB_VIEW);
    if (!jobId) return;
    return followJob(jobId, (event) => setView((current) => jobViewAfter(current, event.body)));
  }, [jobId, restartKey]);
  return view;
}

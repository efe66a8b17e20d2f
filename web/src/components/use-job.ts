// web/src/components/use-job.ts — a React hook that follows one job over server-sent events and keeps
// its status, latest progress, loss history and sample images.
import { useEffect, useState } from 'react';
import type { JobProgress, JobStatus } from '../../../src/schemas/api.js';
import { followJob } from '../api.js';
import type { LossPoint } from './loss-chart.js';

export interface JobView {
  status: JobStatus | null;
  message: string | null;
  progress: JobProgress | null;
  losses: LossPoint[];
  samples: Array<{ step: number; url: string }>;
}

const EMPTY: JobView = { status: null, message: null, progress: null, losses: [], samples: [] };

export function useJob(jobId: string | null, restartKey = 0): JobView {
  const [view, setView] = useState<JobView>(EMPTY);
  // biome-ignore lint/correctness/useExhaustiveDependencies: restartKey re-follows a resumed job
  useEffect(() => {
    setView(EMPTY);
    if (!jobId) return;
    return followJob(jobId, (event) => {
      setView((current) => {
        const body = event.body;
        if (body.type === 'status') return { ...current, status: body.status, message: body.message ?? null };
        if (body.type === 'progress') {
          const losses =
            typeof body.progress.loss === 'number'
              ? [
                  ...current.losses.filter((p) => p.step < body.progress.step),
                  { step: body.progress.step, loss: body.progress.loss },
                ]
              : current.losses;
          return { ...current, progress: body.progress, losses };
        }
        if (body.type === 'sample') {
          return {
            ...current,
            samples: [...current.samples, ...body.urls.map((url) => ({ step: body.step, url }))],
          };
        }
        return current;
      });
    });
  }, [jobId, restartKey]);
  return view;
}

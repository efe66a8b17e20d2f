// web/src/components/use-remote-job.ts — a React hook that re-reads a running job (GET /api/jobs/:id) for its
// `remote` field: which GPU worker runs it, or that it waits for one (remote-job.ts words it); null while the job
// does not run, on a server without remote workers, or before the first read.
import { useEffect, useState } from 'react';
import type { JobRemote, JobStatus } from '../../../src/schemas/api.js';
import { api } from '../api.js';
import { REMOTE_POLL_MS } from './remote-job.js';

export function useRemoteJob(jobId: string | null, status: JobStatus | null): JobRemote | null {
  const [remote, setRemote] = useState<JobRemote | null>(null);
  useEffect(() => {
    setRemote(null);
    if (!jobId || status !== 'running') return;
    let stopped = false;
    // quiet on errors: the status line says when the server is unreachable
    const read = () =>
      api.job(jobId).then(
        (job) => {
          if (!stopped) setRemote(job.remote ?? null);
        },
        () => {},
      );
    read();
    const timer = setInterval(read, REMOTE_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [jobId, status]);
  return remote;
}

// web/src/components/use-queue-wait.ts — a React hook that re-reads the server's queue while a job waits in
// it and says what it waits for now (queue-wait.ts); null while the job is not queued or before the first read.
import { useEffect, useState } from 'react';
import type { JobStatus } from '../../../src/schemas/api.js';
import { api } from '../api.js';
import { QUEUE_POLL_MS, queueWaitText } from './queue-wait.js';

export function useQueueWait(jobId: string | null, status: JobStatus | null): string | null {
  const [text, setText] = useState<string | null>(null);
  useEffect(() => {
    setText(null);
    if (!jobId || status !== 'queued') return;
    let stopped = false;
    // quiet on errors: the status line says when the server is unreachable
    const read = () =>
      Promise.all([api.jobsWithStatus('running'), api.jobsWithStatus('queued')]).then(
        ([running, queued]) => {
          if (!stopped) setText(queueWaitText(jobId, running, queued));
        },
        () => {},
      );
    read();
    const timer = setInterval(read, QUEUE_POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [jobId, status]);
  return text;
}

// web/src/components/use-remote-job.ts — a React hook: where a running remote train job stands (which GPU worker
// holds it, or that it waits for one; remote-job.ts words it), from the `remote` events its event stream pushes
// (jobLiveFeed; nothing is polled), with the worker's silence counted on locally from the last one (a timer on the
// page, only while that changes what the line says); null while the job does not run, on a server without remote
// workers, or before the stream said.
import { useEffect, useState } from 'react';
import type { JobRemote, JobStatus } from '../../../src/schemas/api.js';
import { nextRemoteTickMs, remoteAsOf } from './remote-job.js';
import { useLiveState } from './use-live-state.js';

export function useRemoteJob(jobId: string | null, status: JobStatus | null): JobRemote | null {
  const live = useLiveState(jobId, 'remote');
  const [nowMs, setNowMs] = useState(() => Date.now());
  const shown = status === 'running' && live !== undefined;
  // biome-ignore lint/correctness/useExhaustiveDependencies: nowMs schedules the next count after each one
  useEffect(() => {
    if (!shown || !live) return;
    const wait = nextRemoteTickMs(live.body.remote, Date.now() - live.receivedAtMs);
    if (wait === null) return;
    const timer = setTimeout(() => setNowMs(Date.now()), wait);
    return () => clearTimeout(timer);
  }, [shown, live, nowMs]);
  if (!shown || !live) return null;
  return remoteAsOf(live.body.remote, Math.max(nowMs, live.receivedAtMs) - live.receivedAtMs);
}

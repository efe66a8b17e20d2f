// src/jobs/remote/remote-state.ts — where a remote train job is, as GET /api/jobs/:id and the job event streams
// say it (JobRemote): offered (no worker holds it yet) or held by a worker (silent how long, its lease ending
// when, whether a cancel waits for it); and the watchers the lease board tells when that changed.
import type { JobRemote } from '../../schemas/api.js';

/** A held lease as remoteState reads it. */
export interface LeaseView {
  readonly worker: string;
  readonly lastReportAt: number;
  readonly expiresAt: number;
  readonly stopAsked: boolean;
}

/** The remote state of a job that is `offered`, or held under `lease`; undefined when it is neither. */
export function remoteStateOf(
  offered: boolean,
  lease: LeaseView | undefined,
  now: number,
): JobRemote | undefined {
  if (offered) return { worker: null, silentMs: null, leaseEndsInMs: null, stopAsked: false };
  if (!lease) return undefined;
  return {
    worker: lease.worker,
    silentMs: Math.max(0, now - lease.lastReportAt),
    leaseEndsInMs: Math.max(0, lease.expiresAt - now),
    stopAsked: lease.stopAsked,
  };
}

/** The listeners told a job's id when its remote state changed. */
export class RemoteStateWatchers {
  private readonly watchers = new Set<(jobId: string) => void>();

  /** Adds `listener` (which must not throw); returns the function removing it. */
  add(listener: (jobId: string) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  /** Tells every listener that `jobId`'s remote state changed. */
  changed(jobId: string): void {
    for (const watcher of [...this.watchers]) watcher(jobId);
  }
}

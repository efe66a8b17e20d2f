// web/src/components/job-live.ts — the live state of the jobs a page follows, as their event streams push it (the
// `queue` and `remote` live events, jobLiveEventSchema): each stream message read through the schema (one the page
// cannot read comes back as a sentence, as job-follow.ts does for stored events), and the last one of each type per
// job with when it arrived (a remote worker's silence is counted on from then), for the hooks that show it
// (use-queue-wait.ts, use-remote-job.ts). A status event drops the job's live state: it said where the job stood in
// its previous status. Nothing here asks the server anything.
import { type JobLiveEvent, type JobLiveEventBody, jobLiveEventSchema } from '../../../src/schemas/api.js';
import type { StreamMessage } from './job-follow.js';

export type LiveType = JobLiveEventBody['type'];

/** A live event as the page keeps it: its body and when it arrived (Date.now(), ms). */
export interface LiveState<T extends LiveType> {
  body: Extract<JobLiveEventBody, { type: T }>;
  receivedAtMs: number;
}

/** One live stream message read: the event, or why the page cannot read it (a sentence for the user). */
export type LiveMessageRead = { ok: true; event: JobLiveEvent } | { ok: false; problem: string };

/** Parses one `queue` / `remote` message with jobLiveEventSchema; never throws. */
export function readLiveMessage(message: Pick<StreamMessage, 'type' | 'data'>): LiveMessageRead {
  const unreadable = (why: string): LiveMessageRead => ({
    ok: false,
    problem: `The server sent a "${message.type}" event this page cannot read (${why}); it is not shown. Reload the page; if this stays, the server and the web app are from different versions.`,
  });
  let json: unknown;
  try {
    json = JSON.parse(message.data);
  } catch {
    return unreadable('its data is not JSON');
  }
  const parsed = jobLiveEventSchema.safeParse(json);
  if (!parsed.success) {
    return unreadable(
      parsed.error.issues
        .map((issue) => `${issue.path.join('.') || 'the event'}: ${issue.message}`)
        .join('; '),
    );
  }
  return { ok: true, event: parsed.data };
}

type Snapshot = { [T in LiveType]?: LiveState<T> };

/** The live state of followed jobs, by job id; listeners hear of each change to their job's state. */
export class JobLiveFeed {
  private readonly states = new Map<string, Snapshot>();
  private readonly listeners = new Map<string, Set<() => void>>();

  /** Keeps `event` as its job's latest of its type, received at `nowMs`. */
  publish(event: JobLiveEvent, nowMs: number): void {
    const current = this.states.get(event.jobId) ?? {};
    this.states.set(event.jobId, {
      ...current,
      [event.body.type]: { body: event.body, receivedAtMs: nowMs },
    });
    this.changed(event.jobId);
  }

  /** The job's status changed: what its live events said no longer holds until new ones come. */
  statusChanged(jobId: string): void {
    if (!this.states.delete(jobId)) return;
    this.changed(jobId);
  }

  /** The latest `type` event of `jobId` (the same object until it changes), or undefined. */
  latest<T extends LiveType>(jobId: string, type: T): LiveState<T> | undefined {
    return this.states.get(jobId)?.[type] as LiveState<T> | undefined;
  }

  /** Calls `listener` after each change to `jobId`'s live state; returns the function that removes it. */
  subscribe(jobId: string, listener: () => void): () => void {
    const set = this.listeners.get(jobId) ?? new Set();
    set.add(listener);
    this.listeners.set(jobId, set);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(jobId);
    };
  }

  private changed(jobId: string): void {
    for (const listener of [...(this.listeners.get(jobId) ?? [])]) listener();
  }
}

/** The page's feed: followJob (api.ts) publishes into it, the hooks read it. */
export const jobLiveFeed = new JobLiveFeed();

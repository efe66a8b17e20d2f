// src/server/routes/jobs/live-events.ts — the live events of a job's event stream (jobLiveEventSchema): a queued
// job's place in the queue, sent again whenever the job store commits a change that moves it, and where a remote
// worker holds a running train job, sent again whenever the lease board says it changed. Nothing is polled.
// All open streams of one server share one store listener and one board listener (a JobLiveHub): the queue is
// read once per change, and only while some stream follows a queued job. Queue places go out in a microtask after
// the change, so after that change's status event (the queue publishes it synchronously after the store's commit).
import type { FastifyInstance } from 'fastify';
import type { JobStore } from '../../../jobs/job-store.js';
import type { RemoteTrainBoard } from '../../../jobs/remote/lease-board.js';
import type { JobLiveEvent, JobLiveEventBody } from '../../../schemas/api.js';

type QueueBody = Extract<JobLiveEventBody, { type: 'queue' }>;

/** The queue as one change left it: queued job ids in the order they start, and the running jobs' kinds. */
export interface QueueSnapshot {
  startOrder: readonly string[];
  running: QueueBody['running'];
}

/** What the hub reads: the job store, the remote board (when serving remote workers), where send failures go. */
export interface LiveSources {
  jobStore: Pick<JobStore, 'onChange' | 'listJobs' | 'getJob'>;
  remoteBoard?: Pick<RemoteTrainBoard, 'onChange' | 'remoteState'> | null;
  log: { error: (object: Record<string, unknown>, message: string) => void };
}

/** Reads the queue once (two queries): listJobs gives queued jobs newest-entered first. */
export function readQueueSnapshot(store: LiveSources['jobStore']): QueueSnapshot {
  const startOrder = store
    .listJobs({ status: 'queued' })
    .map((job) => job.id)
    .reverse();
  const running = store.listJobs({ status: 'running' }).map((job) => job.kind);
  return { startOrder, running };
}

/** Where queued job `jobId` stands in `snapshot` (how many start before it); null when it is not queued. */
export function placeIn(snapshot: QueueSnapshot, jobId: string): QueueBody | null {
  const ahead = snapshot.startOrder.indexOf(jobId);
  return ahead < 0 ? null : { type: 'queue', running: [...snapshot.running], ahead };
}

/** One live event as a server-sent event: no `id:` (it is not stored; Last-Event-ID stays the stored seq). */
export function liveSse(event: JobLiveEvent): string {
  return `event: ${event.body.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

interface Follower {
  readonly jobId: string;
  readonly send: (body: JobLiveEventBody) => void;
  /** Its job is queued: it hears its place; false for good once the job left `queued` (a stream ends at a final
   * status, and only a final status goes back to `queued`). */
  followsQueue: boolean;
  lastPlace: string;
}

/** The live events of all open streams of one server, from one store listener and one board listener. */
export class JobLiveHub {
  private readonly followers = new Set<Follower>();
  private stopListening: (() => void) | null = null;
  private flushQueued = false;

  constructor(private readonly sources: LiveSources) {}

  /** Sends `jobId`'s state now (its queue place while queued, the remote state while the board knows the job), then
   * each change. A queue place is sent only when it differs from the last one. Returns the function that stops. */
  follow(jobId: string, send: (body: JobLiveEventBody) => void): () => void {
    const queued = this.sources.jobStore.getJob(jobId).status === 'queued';
    const follower: Follower = { jobId, send, followsQueue: queued, lastPlace: '' };
    this.followers.add(follower);
    if (!this.stopListening) this.listen();
    if (queued) this.sendPlace(follower, readQueueSnapshot(this.sources.jobStore));
    this.sendRemote(follower);
    return () => {
      this.followers.delete(follower);
      if (this.followers.size === 0) {
        this.stopListening?.();
        this.stopListening = null;
      }
    };
  }

  private listen(): void {
    const stopQueue = this.sources.jobStore.onChange(({ job, from }) => {
      if (from === 'queued' && job.status !== 'queued') {
        for (const follower of this.followers) if (follower.jobId === job.id) follower.followsQueue = false;
      }
      if (this.flushQueued) return;
      this.flushQueued = true;
      queueMicrotask(() => this.flushQueue());
    });
    const stopRemote = this.sources.remoteBoard?.onChange((jobId) => {
      for (const follower of [...this.followers]) if (follower.jobId === jobId) this.sendRemote(follower);
    });
    this.stopListening = () => {
      stopQueue();
      stopRemote?.();
    };
  }

  /** After the changes of one tick: one snapshot for all streams of queued jobs; none when there are none. */
  private flushQueue(): void {
    this.flushQueued = false;
    const following = [...this.followers].filter((follower) => follower.followsQueue);
    if (following.length === 0) return;
    let snapshot: QueueSnapshot;
    try {
      snapshot = readQueueSnapshot(this.sources.jobStore);
    } catch (error) {
      this.sources.log.error({ err: error }, 'reading the queue for the job event streams failed');
      return;
    }
    for (const follower of following) this.sendPlace(follower, snapshot);
  }

  private sendPlace(follower: Follower, snapshot: QueueSnapshot): void {
    this.safely(follower, 'queue place', () => {
      const place = placeIn(snapshot, follower.jobId);
      if (place === null) {
        follower.followsQueue = false;
        return;
      }
      const text = JSON.stringify(place);
      if (text === follower.lastPlace) return;
      follower.lastPlace = text;
      follower.send(place);
    });
  }

  private sendRemote(follower: Follower): void {
    this.safely(follower, 'remote worker state', () => {
      const remote = this.sources.remoteBoard?.remoteState(follower.jobId);
      if (remote) follower.send({ type: 'remote', remote });
    });
  }

  /** `send` failing is reported, never thrown into the store or the board. */
  private safely(follower: Follower, what: string, write: () => void): void {
    try {
      write();
    } catch (error) {
      this.sources.log.error(
        { err: error },
        `job ${follower.jobId}: sending its ${what} on the event stream failed`,
      );
    }
  }
}

const hubs = new WeakMap<object, JobLiveHub>();

/** followJobLive for a server: its one hub (made on the first stream). */
export function followJobLive(
  app: FastifyInstance,
  jobId: string,
  send: (body: JobLiveEventBody) => void,
): () => void {
  let hub = hubs.get(app);
  if (!hub) {
    hub = new JobLiveHub({ jobStore: app.jobStore, remoteBoard: app.remoteBoard, log: app.log });
    hubs.set(app, hub);
  }
  return hub.follow(jobId, send);
}

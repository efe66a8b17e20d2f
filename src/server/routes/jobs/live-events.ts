// src/server/routes/jobs/live-events.ts — the live events of a job's event stream (jobLiveEventSchema): a queued
// job's place in the queue, sent again whenever the job store commits a change that moves it, and where a remote
// worker holds a running train job, sent again whenever the lease board says it changed. Nothing is polled.
import type { FastifyInstance } from 'fastify';
import type { JobStore } from '../../../jobs/job-store.js';
import type { JobLiveEvent, JobLiveEventBody } from '../../../schemas/api.js';

type QueueBody = Extract<JobLiveEventBody, { type: 'queue' }>;

/**
 * Where queued job `jobId` stands: the running jobs' kinds and how many queued jobs start before it (those that
 * entered `queued` earlier: listJobs gives them newest first); null when it is not queued.
 */
export function queuePlace(store: JobStore, jobId: string): QueueBody | null {
  const queued = store.listJobs({ status: 'queued' });
  const index = queued.findIndex((job) => job.id === jobId);
  if (index < 0) return null;
  const running = store.listJobs({ status: 'running' }).map((job) => job.kind);
  return { type: 'queue', running, ahead: queued.length - 1 - index };
}

/** One live event as a server-sent event: no `id:` (it is not stored; Last-Event-ID stays the stored seq). */
export function liveSse(event: JobLiveEvent): string {
  return `event: ${event.body.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Sends `jobId`'s live events to `send`: its state now (a queue place while queued, the remote state while a
 * worker board knows the job), then each change. A queue place is sent only when it differs from the last one
 * sent. Returns the function that stops following. `send` failing is reported, never thrown into the store or
 * the board.
 */
export function followJobLive(
  app: FastifyInstance,
  jobId: string,
  send: (body: JobLiveEventBody) => void,
): () => void {
  let lastPlace = '';
  const safely = (what: string, write: () => void) => {
    try {
      write();
    } catch (error) {
      app.log.error({ err: error }, `job ${jobId}: sending its ${what} on the event stream failed`);
    }
  };
  const sendPlace = () =>
    safely('queue place', () => {
      const place = queuePlace(app.jobStore, jobId);
      const text = JSON.stringify(place);
      if (place === null || text === lastPlace) return;
      lastPlace = text;
      send(place);
    });
  const sendRemote = (changed: string) => {
    if (changed !== jobId) return;
    safely('remote worker state', () => {
      const remote = app.remoteBoard?.remoteState(jobId);
      if (remote) send({ type: 'remote', remote });
    });
  };
  const stopQueue = app.jobStore.onChange(sendPlace);
  const stopRemote = app.remoteBoard?.onChange(sendRemote);
  sendPlace();
  sendRemote(jobId);
  return () => {
    stopQueue();
    stopRemote?.();
  };
}

// src/server/routes/jobs/live-events.test.ts — JobLiveHub on a real job store: all streams share one store listener;
// a change reads the queue once for all streams of queued jobs and not at all when none follows a queued job; a
// stream stops following the queue once its job left `queued`; a queue place goes out after the change's status
// event (the queue publishes it synchronously after the store's commit).
import { describe, expect, it, vi } from 'vitest';
import { createCharacter } from '../../../jobs/catalog/characters.js';
import { openDatabase } from '../../../jobs/database.js';
import { JobStore } from '../../../jobs/job-store.js';
import type { JobLiveEventBody } from '../../../schemas/api.js';
import { JobLiveHub } from './live-events.js';

function hubOnStore() {
  const db = openDatabase(':memory:');
  const { id: characterId } = createCharacter(db, { name: 'Mika', trigger: 'sks', classWord: 'girl' });
  const store = new JobStore(db);
  const hub = new JobLiveHub({ jobStore: store, remoteBoard: null, log: { error: vi.fn() } });
  const queued = (n: number) => Array.from({ length: n }, () => store.createJob('prep', characterId, {}));
  const running = (n: number) => queued(n).map((job) => store.transition(job.id, 'running'));
  return { store, hub, queued, running, characterId };
}

/** A macrotask: every microtask queued before it has run. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('JobLiveHub', () => {
  it('with 20 streams of running jobs, a change reads the queue not at all; all share one store listener', async () => {
    const { store, hub, running, characterId } = hubOnStore();
    const onChange = vi.spyOn(store, 'onChange');
    const sent: JobLiveEventBody[] = [];
    const stops = running(20).map((job) => hub.follow(job.id, (body) => sent.push(body)));
    expect(onChange).toHaveBeenCalledTimes(1);
    const listJobs = vi.spyOn(store, 'listJobs');
    store.createJob('prep', characterId, {});
    store.transition(store.listJobs({ status: 'running' })[0]?.id ?? '', 'succeeded');
    listJobs.mockClear();
    store.createJob('prep', characterId, {});
    await settled();
    expect(listJobs).not.toHaveBeenCalled();
    expect(sent).toEqual([]);
    for (const stop of stops) stop();
  });

  it('with 5 streams of queued jobs, one queue snapshot per change for all of them', async () => {
    const { store, hub, queued, characterId } = hubOnStore();
    const jobs = queued(5);
    const sent = new Map<string, JobLiveEventBody[]>();
    for (const job of jobs)
      hub.follow(job.id, (body) => sent.set(job.id, [...(sent.get(job.id) ?? []), body]));
    expect(jobs.map((job) => sent.get(job.id))).toEqual(
      [0, 1, 2, 3, 4].map((ahead) => [{ type: 'queue', running: [], ahead }]),
    );
    const listJobs = vi.spyOn(store, 'listJobs');
    store.transition(jobs[0]?.id ?? '', 'running'); // the first starts: the others move up
    await settled();
    expect(listJobs.mock.calls.map(([filter]) => filter?.status)).toEqual(['queued', 'running']);
    expect(jobs.slice(1).map((job) => sent.get(job.id)?.at(-1))).toEqual(
      [0, 1, 2, 3].map((ahead) => ({ type: 'queue', running: ['prep'], ahead })),
    );
    listJobs.mockClear();
    store.createJob('prep', characterId, {}); // joins behind them: one snapshot, nothing new to send
    await settled();
    expect(listJobs).toHaveBeenCalledTimes(2);
    // the stream of the job that left `queued` follows the queue no more
    expect(sent.get(jobs[0]?.id ?? '')).toHaveLength(1);
  });

  it("sends a queue place after the change's status event, which the queue publishes right after the commit", async () => {
    const { store, hub, queued } = hubOnStore();
    const [ahead, waiting] = queued(2);
    const order: string[] = [];
    hub.follow(waiting?.id ?? '', (body) => order.push(`${body.type} ${JSON.stringify(body)}`));
    order.length = 0;
    // as EmbeddedQueue.launch: transition, then publishLast (the status event to the streams)
    store.transition(ahead?.id ?? '', 'running');
    order.push('status running');
    await settled();
    expect(order).toEqual([
      'status running',
      `queue ${JSON.stringify({ type: 'queue', running: ['prep'], ahead: 0 })}`,
    ]);
  });
});

// src/jobs/job-store-changes.test.ts — JobStore.onChange: each committed creation and status change reaches the
// listeners at once (the store already reads the new state), in order; a listener that throws is reported and
// neither the store's caller nor the other listeners notice; a removed listener hears nothing more.
import { describe, expect, it } from 'vitest';
import { createCharacter } from './catalog/characters.js';
import { openDatabase } from './database.js';
import { type JobChange, JobStore } from './job-store.js';

function storeWithCharacter(reportListenerError?: (error: unknown) => void) {
  const db = openDatabase(':memory:');
  const { id } = createCharacter(db, { name: 'Mika', trigger: 'sks', classWord: 'girl' });
  return { store: new JobStore(db, reportListenerError ? { reportListenerError } : {}), characterId: id };
}

describe('JobStore.onChange', () => {
  it('tells each creation and transition after it is committed, with the status before', () => {
    const { store, characterId } = storeWithCharacter();
    const seen: Array<[string, string | null, string]> = [];
    store.onChange(({ job, from }: JobChange) => {
      // committed: a read inside the listener sees the new status and its event
      expect(store.getJob(job.id).status).toBe(job.status);
      expect(store.lastEvent(job.id)?.body).toMatchObject({ type: 'status', status: job.status });
      seen.push([job.id, from, job.status]);
    });
    const a = store.createJob('prep', characterId, {});
    store.transition(a.id, 'running');
    store.setProgress(a.id, { step: 1, total: 2 }); // not a change of the queue
    store.appendEvent(a.id, { type: 'log', level: 'info', message: 'x' });
    store.transition(a.id, 'succeeded');
    const b = store.createJob('train', characterId, {});
    store.transition(b.id, 'running');
    expect(store.markRunningInterrupted().map((job) => job.id)).toEqual([b.id]);
    expect(seen).toEqual([
      [a.id, null, 'queued'],
      [a.id, 'queued', 'running'],
      [a.id, 'running', 'succeeded'],
      [b.id, null, 'queued'],
      [b.id, 'queued', 'running'],
      [b.id, 'running', 'interrupted'],
    ]);
  });

  it("reports a listener's throw; the store and the other listeners go on", () => {
    const reported: unknown[] = [];
    const { store, characterId } = storeWithCharacter((error) => reported.push(error));
    store.onChange(() => {
      throw new Error('listener broke');
    });
    const heard: string[] = [];
    store.onChange(({ job }) => heard.push(job.status));
    const job = store.createJob('prep', characterId, {});
    expect(store.transition(job.id, 'cancelled').status).toBe('cancelled');
    expect(store.getJob(job.id).status).toBe('cancelled');
    expect(heard).toEqual(['queued', 'cancelled']);
    expect(reported.map((error) => (error as Error).message)).toEqual(['listener broke', 'listener broke']);
  });

  it('a refused transition tells nothing; a removed listener hears nothing more', () => {
    const { store, characterId } = storeWithCharacter();
    const heard: string[] = [];
    const stop = store.onChange(({ job }) => heard.push(job.status));
    const job = store.createJob('prep', characterId, {});
    expect(() => store.transition(job.id, 'succeeded')).toThrow(); // queued -> succeeded is not a move
    stop();
    store.transition(job.id, 'cancelled');
    expect(heard).toEqual(['queued']);
  });
});

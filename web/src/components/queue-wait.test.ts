// web/src/components/queue-wait.test.ts — a queued job's "waiting for …" line, from its place in the queue.
import { describe, expect, it } from 'vitest';
import { EMPTY_JOB_VIEW, statusMessage } from './job-view.js';
import { queueWaitText } from './queue-wait.js';

describe('queueWaitText', () => {
  it('names the running jobs and the queued jobs that start before it', () => {
    expect(queueWaitText({ running: ['train'], ahead: 2 })).toBe(
      'waiting for the running train job and 2 queued jobs before it',
    );
    expect(queueWaitText({ running: ['prep'], ahead: 1 })).toBe(
      'waiting for the running prep job and 1 queued job before it',
    );
    expect(queueWaitText({ running: ['prep', 'generate'], ahead: 0 })).toBe(
      'waiting for the running prep and generate jobs',
    );
  });
  it('says when nothing runs', () => {
    expect(queueWaitText({ running: [], ahead: 1 })).toBe('waiting for 1 queued job before it');
    expect(queueWaitText({ running: [], ahead: 0 })).toBe('next to start');
  });
});

describe('statusMessage', () => {
  const queued = { ...EMPTY_JOB_VIEW, status: 'queued' as const };
  it('replaces the submit-time waiting line of a queued job with what it waits for now', () => {
    const view = {
      ...queued,
      message: 'waiting for the running train job and 1 queued before it (one job runs at a time)',
      waiting: 'waiting for the running prep job',
    };
    expect(statusMessage(view)).toBe('waiting for the running prep job');
    expect(statusMessage({ ...view, waiting: null })).toBe(view.message);
  });
  it("keeps another message (a resume's) beside it, and a running job's message as it is", () => {
    const view = { ...queued, message: 'resuming from checkpoint-100', waiting: 'next to start' };
    expect(statusMessage(view)).toBe('resuming from checkpoint-100; next to start');
    expect(statusMessage({ ...view, status: 'running' })).toBe('resuming from checkpoint-100');
  });
});

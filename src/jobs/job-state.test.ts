// src/jobs/job-state.test.ts — the job state machine: allowed moves, final states, resume rules, and the words of
// its refusals (a cancel of an ended job, a delete or resume of one still stopping after a cancel).
import { describe, expect, it } from 'vitest';
import {
  assertTransition,
  canTransition,
  isFinalStatus,
  nothingToCancel,
  stillStopping,
} from './job-state.js';

describe('job state machine', () => {
  it('allows the normal path and stops at final states', () => {
    expect(canTransition('prep', 'queued', 'running')).toBe(true);
    expect(canTransition('prep', 'running', 'succeeded')).toBe(true);
    expect(canTransition('prep', 'succeeded', 'running')).toBe(false);
    expect(canTransition('generate', 'queued', 'succeeded')).toBe(false);
    expect(isFinalStatus('interrupted')).toBe(true);
    expect(isFinalStatus('running')).toBe(false);
  });

  it('lets only train jobs go back to queued (resume)', () => {
    expect(canTransition('train', 'interrupted', 'queued')).toBe(true);
    expect(canTransition('train', 'failed', 'queued')).toBe(true);
    expect(canTransition('prep', 'interrupted', 'queued')).toBe(false);
    expect(canTransition('train', 'succeeded', 'queued')).toBe(false);
  });

  it('names the job, its status and the refused move in words, and why, when refusing', () => {
    const refusal = (...args: Parameters<typeof assertTransition>) => {
      try {
        assertTransition(...args);
      } catch (error) {
        return (error as Error).message;
      }
      return 'allowed';
    };
    expect([
      refusal('j1', 'prep', 'interrupted', 'queued'),
      refusal('j1', 'train', 'succeeded', 'queued'),
      refusal('j1', 'train', 'running', 'queued'),
      refusal('j1', 'train', 'queued', 'queued'),
      refusal('j1', 'train', 'cancelled', 'cancelled'),
      refusal('j1', 'train', 'queued', 'succeeded'),
    ]).toEqual([
      // before: "job j1: cannot go from interrupted to queued (prep job; allowed: cancelled)." (cancelled, read as
      // what the resume could do instead)
      'prep job j1 is interrupted; it cannot be resumed (only train jobs are resumed; start it again as a new job).',
      'train job j1 is succeeded; it cannot be resumed (a succeeded job does not change any more).',
      'train job j1 is running; it cannot be resumed (it runs now; only a stopped job is resumed).',
      'train job j1 is queued; it cannot be resumed (it waits in the queue already).',
      'train job j1 is cancelled; it cannot be cancelled (from cancelled it can next become only queued).',
      'train job j1 is queued; it cannot be marked succeeded (from queued it can next become only running or cancelled).',
    ]);
  });

  it('says an ended job has nothing to cancel, and a stopping one to wait, with the time the cancel was asked', () => {
    expect(nothingToCancel({ id: 'j1', kind: 'train', status: 'succeeded' }).message).toBe(
      'train job j1 already succeeded; nothing to cancel.',
    );
    const askedAt = new Date('2026-12-08T01:02:03.456Z');
    expect(stillStopping({ id: 'j1', kind: 'train' }, askedAt, 'delete')).toMatchObject({
      code: 'TL_ERR_CONFLICT',
      message: 'train job j1 is stopping (cancel asked at 01:02:03 UTC); delete it once it shows cancelled.',
      details: { id: 'j1', status: 'running', cancelAskedAt: '2026-12-08T01:02:03.456Z' },
    });
    expect(stillStopping({ id: 'j1', kind: 'generate' }, askedAt, 'resume').message).toBe(
      'generate job j1 is stopping (cancel asked at 01:02:03 UTC); resume it once it shows cancelled.',
    );
  });
});

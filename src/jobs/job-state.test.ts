// src/jobs/job-state.test.ts — the job state machine: allowed moves, final states, resume rules.
import { describe, expect, it } from 'vitest';
import { assertTransition, canTransition, isFinalStatus } from './job-state.js';

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

  it('names the job, both statuses and the allowed moves when refusing', () => {
    expect(() => assertTransition('j1', 'prep', 'interrupted', 'queued')).toThrow(
      'job j1: cannot go from interrupted to queued (prep job; allowed: cancelled).',
    );
  });
});

// Tests of the queue's admission rules and of how a runner's error during a shutdown is read.
import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { checkQueueAdmission, isOwnFailure } from './queue-admission.js';

describe('checkQueueAdmission', () => {
  it('refuses every job while closing (503), before counting the queue', () => {
    const queued = () => {
      throw new Error('not counted');
    };
    expect(() => checkQueueAdmission({ closing: true, queued, maxQueued: 5 })).toThrow(
      expect.objectContaining({ code: 'TL_ERR_UNAVAILABLE', httpStatus: 503 }),
    );
  });

  it('refuses a job at the limit (429) naming both numbers, and counts nothing without a limit', () => {
    expect(() => checkQueueAdmission({ closing: false, queued: () => 1, maxQueued: 1 })).toThrow(
      'the job queue is full: 1 job is queued and the limit is 1 (whoever runs the server sets it).',
    );
    expect(() => checkQueueAdmission({ closing: false, queued: () => 4, maxQueued: 5 })).not.toThrow();
    const never = () => {
      throw new Error('not counted');
    };
    expect(() =>
      checkQueueAdmission({ closing: false, queued: never, maxQueued: Number.POSITIVE_INFINITY }),
    ).not.toThrow();
  });
});

describe('isOwnFailure', () => {
  it('is a coded error of the job itself, not a plain stop nor a worker that only says it was stopped', () => {
    expect(isOwnFailure(new ToonloraError('TL_ERR_GPU_OUT_OF_MEMORY', 'out of memory'))).toBe(true);
    expect(isOwnFailure(new Error('training stopped'))).toBe(false);
    expect(
      isOwnFailure(new ToonloraError('TL_ERR_WORKER', 'worker was stopped', { details: { stopped: true } })),
    ).toBe(false);
  });
});

// web/src/components/finished-job-delete.test.ts — the address and the questions of a finished job's delete.
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/schemas/api.js';
import {
  builtVersionName,
  deletePrepJobQuestion,
  deleteTrainJobQuestion,
  jobDeleteUrl,
} from './finished-job-delete.js';

const version = (id: string, jobId: string) => ({ id, jobId }) as Dataset;

describe('finished job delete', () => {
  it("addresses the job's DELETE, its id encoded", () => {
    expect(jobDeleteUrl('a b')).toBe('/api/jobs/a%20b');
  });

  it('says what a train job takes with it, and that a succeeded one waits for its LoRA', () => {
    const failed = deleteTrainJobQuestion('failed');
    expect(failed).toContain('Its log, loss history, sample images and checkpoints are deleted');
    expect(failed).not.toContain('LoRA');
    expect(deleteTrainJobQuestion('succeeded')).toContain('delete that LoRA there first');
  });

  it("names the prep job's dataset version while it is listed", () => {
    const datasets = [version('d1', 'p1'), version('d2', 'p2')];
    expect(builtVersionName(datasets, 'p2')).toBe('v2');
    expect(builtVersionName(datasets, 'p3')).toBeNull();
    expect(deletePrepJobQuestion('succeeded', 'p2', datasets)).toContain('dataset version v2 is listed');
    expect(deletePrepJobQuestion('failed', 'p3', datasets)).toMatch(/The screenshots stay\.$/);
  });
});

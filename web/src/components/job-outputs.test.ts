// web/src/components/job-outputs.test.ts — a finished generate job's outputs read in one request: its images shown,
// its sweep grids counted for "Delete this batch".
import { describe, expect, it } from 'vitest';
import type { Artifact } from '../../../src/schemas/api.js';
import { jobOutputs } from './job-outputs.js';

const output = (id: string, kind: Artifact['kind']): Artifact => ({
  id,
  characterId: 'c1',
  jobId: 'j1',
  kind,
  name: id,
  meta: {},
  createdAt: '2026-01-01T00:00:00.000Z',
  url: `/api/artifacts/${id}/file`,
});

describe('jobOutputs', () => {
  it('keeps the images in their order and counts the sweep grids', () => {
    const read = [output('i1', 'image'), output('g1', 'grid'), output('i2', 'image'), output('g2', 'grid')];
    const outputs = jobOutputs('j1', read);
    expect(outputs.jobId).toBe('j1');
    expect(outputs.images.map((image) => image.id)).toEqual(['i1', 'i2']);
    expect(outputs.gridCount).toBe(2);
  });

  it('counts no grid for a job without a sweep', () => {
    expect(jobOutputs('j1', [output('i1', 'image')]).gridCount).toBe(0);
    expect(jobOutputs('j1', [])).toEqual({ jobId: 'j1', images: [], gridCount: 0 });
  });
});

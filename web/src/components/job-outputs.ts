// web/src/components/job-outputs.ts — a finished generate job's outputs as the Generate page reads them, in one
// request (GET /api/artifacts?jobId=…: its images and its sweep grids): the images it shows, and how many grids
// "Delete this batch" deletes with them (its question names them).
import type { Artifact } from '../../../src/schemas/api.js';

/** The images of job `jobId` and the count of its sweep grids. */
export interface JobOutputs {
  jobId: string;
  images: Artifact[];
  gridCount: number;
}

/** `artifacts` (all of job `jobId`'s) split into the images shown and the count of sweep grids. */
export function jobOutputs(jobId: string, artifacts: readonly Artifact[]): JobOutputs {
  return {
    jobId,
    images: artifacts.filter((artifact) => artifact.kind === 'image'),
    gridCount: artifacts.filter((artifact) => artifact.kind === 'grid').length,
  };
}

// test/helpers/stopped-train-job.ts — a train job stopped before its first checkpoint (a resume starts over from
// step 1), optionally with the training copy of its dataset version kept on the server (jobs/<id>/train-data).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Job } from '../../src/schemas/api.js';

/** A cancelled train job on `datasetId` with no checkpoint. */
export function stoppedTrainJob(app: FastifyInstance, characterId: string, datasetId: string): Job {
  const job = app.jobStore.createJob('train', characterId, { datasetId, training: { baseModel: 'tiny' } });
  app.jobStore.transition(job.id, 'running');
  app.jobStore.transition(job.id, 'cancelled');
  return job;
}

/** stoppedTrainJob with a training copy of one caption, `mina_tl, girl kept`; the caption file's path. */
export function stoppedWithCopy(
  app: FastifyInstance,
  characterId: string,
  datasetId: string,
): { job: Job; caption: string } {
  const job = stoppedTrainJob(app, characterId, datasetId);
  const folder = join(app.dataDir, 'jobs', job.id, 'train-data', '10_mina_tl girl');
  mkdirSync(folder, { recursive: true });
  const caption = join(folder, 'kept.txt');
  writeFileSync(caption, 'mina_tl, girl kept');
  return { job, caption };
}

// test/helpers/running-train-job.ts — a running train job of a new character Mina (a seeded dataset, the tiny base
// model) and its run folder, made and empty: the start of the resume tests' scenes (a run too short for a
// checkpoint whose LoRA is deleted, a run a remote worker trained).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loraNameFor } from '../../src/jobs/runners/train-runner.js';
import { seedDataset } from './server-fixtures.js';

/** The job (running, `steps` steps), its character and dataset, its run folder's name and data-relative path. */
export async function runningTrainJob(app: FastifyInstance, steps = 10) {
  const { characterId, datasetId } = await seedDataset(app);
  const job = app.jobStore.createJob('train', characterId, {
    datasetId,
    training: { baseModel: 'tiny', steps },
  });
  app.jobStore.transition(job.id, 'running');
  const name = loraNameFor('Mina', job.id);
  const runRel = `jobs/${job.id}/${name}`;
  mkdirSync(join(app.dataDir, runRel), { recursive: true });
  return { characterId, datasetId, job, name, runRel };
}

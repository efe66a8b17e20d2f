// test/helpers/finished-run.ts — a train job's run folder as a 10-step run leaves it, and the LoRA row the runner
// records for its file before the job ends, for the tests of resuming such a job (after a cancel as it ended, a
// character rename, a LoRA delete) and of its LoRA's rows.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loraNameFor } from '../../src/jobs/runners/train-runner.js';
import { makePeftTensors, writeFixtureFile } from '../../src/lora/lora-fixtures.js';
import type { WorkerSpawn } from '../../src/worker/python-worker.js';
import { seedDataset } from './server-fixtures.js';

/** A worker spawn for a train runner whose run is already finished: any use of it fails the test. */
export const NO_WORKER_SPAWN = new Proxy({ command: 'false', args: [], cwd: '/' } as WorkerSpawn, {
  get() {
    throw new Error('the finished run needs no worker');
  },
});

/** Writes `runDir` as a finished (or cancelled as it ended) 10-step run leaves it: checkpoint step-000010 with its
 * adapter and an older training state, the PEFT adapters (UNet and text encoder) and the kohya file `<name>.safetensors`. */
export async function finishedRunFolder(runDir: string, name: string): Promise<void> {
  const checkpoint = join(runDir, 'checkpoints', 'step-000010');
  mkdirSync(checkpoint, { recursive: true });
  writeFileSync(join(checkpoint, 'adapter_model.safetensors'), 'adapter');
  writeFileSync(join(checkpoint, 'training_state.pt'), 'state');
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(checkpoint, 'training_state.pt'), past, past);
  mkdirSync(join(runDir, 'text_encoder'), { recursive: true });
  for (const folder of [runDir, join(runDir, 'text_encoder')]) {
    writeFileSync(join(folder, 'adapter_model.safetensors'), 'adapter');
    writeFileSync(join(folder, 'adapter_config.json'), '{}');
  }
  const modules = ['down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q'];
  await writeFixtureFile(
    join(runDir, `${name}.safetensors`),
    makePeftTensors({ modules, rank: 2, seed: 3 }),
    { ss_steps: '10' },
  );
}

/** The LoRA row a train runner records for `<runRel>/<name>.safetensors` (data-relative) of job `jobId`. */
export function recordRunLora(
  app: FastifyInstance,
  run: { characterId: string; jobId: string; name: string; runRel: string },
) {
  return app.catalog.addArtifact({
    characterId: run.characterId,
    jobId: run.jobId,
    kind: 'lora',
    name: run.name,
    path: `${run.runRel}/${run.name}.safetensors`,
    meta: {},
  });
}

/** A running 10-step train job of a new character Mina whose run folder is finished (finishedRunFolder) and whose
 * checkpoint step-000010 is recorded: what a job cancelled as it ended leaves, once cancelled. */
export async function trainJobWithFinishedRun(app: FastifyInstance) {
  const { characterId, datasetId } = await seedDataset(app);
  const job = app.jobStore.createJob('train', characterId, {
    datasetId,
    training: { baseModel: 'tiny', steps: 10 },
  });
  app.jobStore.transition(job.id, 'running');
  const name = loraNameFor('Mina', job.id);
  const runRel = `jobs/${job.id}/${name}`;
  await finishedRunFolder(join(app.dataDir, runRel), name);
  app.jobStore.setCheckpoint(job.id, `${runRel}/checkpoints/step-000010`);
  return { characterId, datasetId, job, name, runRel };
}

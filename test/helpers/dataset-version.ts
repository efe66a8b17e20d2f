// test/helpers/dataset-version.ts — a dataset version as a prep job leaves it (its crop and caption under
// `jobs/<prepId>/dataset`, the prep's staging beside it), and a train job on it that made a real kohya LoRA in its
// run folder: for the tests of deleting a dataset version or a job.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { convertLora } from '../../src/lora/convert.js';
import { makePeftTensors, writePeftFolder } from '../../src/lora/lora-fixtures.js';
import { solidPng } from './server-fixtures.js';

const MODULE = 'down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q';

/** A succeeded prep job of character `characterId` and the dataset version it made (one crop, `a`); `staged` is a
 * file of the prep's own beside the version's folder. */
export async function preppedVersion(app: FastifyInstance, characterId: string) {
  const prep = app.jobStore.createJob('prep', characterId, {});
  app.jobStore.transition(prep.id, 'running');
  app.jobStore.transition(prep.id, 'succeeded', { result: {} });
  const dir = `jobs/${prep.id}/dataset`;
  const folder = join(app.dataDir, dir);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'a.png'), await solidPng(16, 16));
  writeFileSync(join(folder, 'a.txt'), 'mina_tl, girl');
  const staged = join(app.dataDir, 'jobs', prep.id, 'staging.json');
  writeFileSync(staged, '{}');
  const dataset = app.catalog.createDataset({
    characterId,
    jobId: prep.id,
    dir,
    items: [
      {
        key: 'a',
        source: 'a.png',
        imagePath: `${dir}/a.png`,
        caption: 'mina_tl, girl',
        stages: { original: `${dir}/a.png`, textRemoved: null, mask: null, crop: null },
      },
    ],
    skipped: [],
  });
  return { prep, dataset, folder, staged };
}

/** A succeeded train job on dataset version `datasetId` and the kohya LoRA (named mina) it recorded in its run
 * folder, as the train runner records it (meta.datasetId included). */
export async function loraTrainedOn(app: FastifyInstance, characterId: string, datasetId: string) {
  const train = app.jobStore.createJob('train', characterId, { datasetId });
  app.jobStore.transition(train.id, 'running');
  app.jobStore.transition(train.id, 'succeeded', { result: {} });
  const runDir = join(app.dataDir, 'jobs', train.id, 'mina');
  const peft = join(app.dataDir, 'jobs', train.id, 'peft');
  await writePeftFolder(peft, makePeftTensors({ modules: [MODULE], rank: 4, seed: 7 }), {
    r: 4,
    lora_alpha: 2,
    target_modules: ['to_q'],
  });
  mkdirSync(runDir, { recursive: true });
  await convertLora({ input: peft, output: join(runDir, 'mina.safetensors'), to: 'kohya' });
  const lora = app.catalog.addArtifact({
    characterId,
    jobId: train.id,
    kind: 'lora',
    name: 'mina',
    path: `jobs/${train.id}/mina/mina.safetensors`,
    meta: { datasetId, steps: 10 },
  });
  return { train, lora, runDir };
}

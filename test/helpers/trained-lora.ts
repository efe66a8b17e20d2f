// test/helpers/trained-lora.ts — a succeeded train job's LoRA row with its file on disk (and a kept fp16 download
// copy and a sample beside it; on request the rest of its run folder as a run leaves it: the PEFT adapter and the text
// encoder's, a checkpoint's adapter, samples/ and the image hashes), for the tests of deleting a LoRA and of reading
// a job's LoRA after that.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createCharacter } from './test-apps.js';

/** With `runFiles`: the run's weights besides the LoRA file and its fp16 copy (a delete removes them). */
export const RUN_WEIGHT_FILES = [
  'adapter_model.safetensors',
  'adapter_config.json',
  'text_encoder/adapter_model.safetensors',
  'text_encoder/adapter_config.json',
  'checkpoints/step-000010/adapter_model.safetensors',
  'checkpoints/step-000010/adapter_config.json',
] as const;
/** With `runFiles`: the run's other files besides sample-0001.png (a delete keeps them). */
export const RUN_KEPT_FILES = ['samples/step-000010-0-seed42.png', 'image_hashes.json'] as const;

/** A trained LoRA (named mina) of a succeeded train job (its file, a kept fp16 download copy and sample-0001.png
 * written; with `runFiles`, RUN_WEIGHT_FILES and RUN_KEPT_FILES too), and its job, for a new character named
 * `characterName`. */
export async function trainedLora(
  app: FastifyInstance,
  characterName = 'Mina',
  { runFiles = false }: { runFiles?: boolean } = {},
) {
  const characterId = await createCharacter(app, {}, characterName);
  const train = app.jobStore.createJob('train', characterId, {});
  app.jobStore.transition(train.id, 'running');
  app.jobStore.transition(train.id, 'succeeded');
  const rel = `jobs/${train.id}/mina/mina.safetensors`;
  const file = join(app.dataDir, rel);
  const runDir = dirname(file);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(file, 'lora');
  writeFileSync(join(runDir, 'mina.fp16.safetensors'), 'copy');
  writeFileSync(join(runDir, 'sample-0001.png'), 'png');
  for (const name of runFiles ? [...RUN_WEIGHT_FILES, ...RUN_KEPT_FILES] : []) {
    mkdirSync(dirname(join(runDir, name)), { recursive: true });
    writeFileSync(join(runDir, name), name.endsWith('.json') ? '{}' : name);
  }
  const lora = app.catalog.addArtifact({
    characterId,
    jobId: train.id,
    kind: 'lora',
    name: 'mina',
    path: rel,
    meta: {},
  });
  return { characterId, train, lora, file, runDir };
}

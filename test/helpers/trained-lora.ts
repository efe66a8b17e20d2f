// test/helpers/trained-lora.ts — a succeeded train job's LoRA row with its file on disk (and a kept fp16 download
// copy and a sample beside it), for the tests of deleting a LoRA and of reading a job's LoRA after that.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createCharacter } from './test-apps.js';

/** A trained LoRA (named mina) of a succeeded train job (its file and a kept fp16 download copy written), and its
 * job, for a new character named `characterName`. */
export async function trainedLora(app: FastifyInstance, characterName = 'Mina') {
  const characterId = await createCharacter(app, {}, characterName);
  const train = app.jobStore.createJob('train', characterId, {});
  app.jobStore.transition(train.id, 'running');
  app.jobStore.transition(train.id, 'succeeded');
  const rel = `jobs/${train.id}/mina/mina.safetensors`;
  const file = join(app.dataDir, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, 'lora');
  writeFileSync(join(dirname(file), 'mina.fp16.safetensors'), 'copy');
  writeFileSync(join(dirname(file), 'sample-0001.png'), 'png');
  const lora = app.catalog.addArtifact({
    characterId,
    jobId: train.id,
    kind: 'lora',
    name: 'mina',
    path: rel,
    meta: {},
  });
  return { characterId, train, lora, file };
}

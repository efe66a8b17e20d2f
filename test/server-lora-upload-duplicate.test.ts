// test/server-lora-upload-duplicate.test.ts — the same LoRA bytes uploaded twice for a character (POST /api/loras)
// are stored once: the second upload answers 200 with the LoRA recorded before and leaves no second file, as a
// screenshot uploaded twice names the one stored before; other bytes, or another character, store a new LoRA.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from '../src/lora/convert.js';
import { makePeftTensors, writePeftFolder } from '../src/lora/lora-fixtures.js';
import { buildApp } from '../src/server/app.js';
import { multipartBody, tempDataDir } from './helpers/server-fixtures.js';

const MODULES = [
  'down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q',
  'down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k',
];

let app: FastifyInstance;

/** An SD1.5 kohya LoRA generate can use, made from a PEFT fixture (`seed` varies its weights). */
async function kohyaLora(seed: number): Promise<Buffer> {
  const work = tempDataDir('lora-dup-fixtures');
  await writePeftFolder(join(work, 'peft'), makePeftTensors({ modules: MODULES, rank: 4, seed }), {
    r: 4,
    lora_alpha: 2,
    target_modules: ['to_q', 'to_k'],
  });
  await convertLora({ input: join(work, 'peft'), output: join(work, 'k.safetensors'), to: 'kohya' });
  return readFileSync(join(work, 'k.safetensors'));
}

const upload = (characterId: string, filename: string, data: Buffer) =>
  app.inject({
    method: 'POST',
    url: `/api/loras?characterId=${characterId}`,
    ...multipartBody([{ field: 'file', filename, data, contentType: 'application/octet-stream' }]),
  });

beforeAll(async () => {
  app = await buildApp({ dataDir: tempDataDir('lora-dup'), runners: {}, webDir: '/nonexistent' });
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

describe('a LoRA uploaded twice', () => {
  it('is stored once: the second upload answers 200 with the LoRA stored before', async () => {
    const mina = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
    const rin = app.catalog.createCharacter({ name: 'Rin', trigger: 'rin_tl', classWord: 'girl' }).id;
    const lora = await kohyaLora(3);
    const first = await upload(mina, 'hana.safetensors', lora);
    expect(first.statusCode).toBe(201);
    const again = await upload(mina, 'hana (copy).safetensors', lora);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    expect(readdirSync(join(app.dataDir, 'characters', mina, 'loras'))).toHaveLength(1);
    expect(app.catalog.listArtifacts({ characterId: mina, kind: 'lora' })).toHaveLength(1);
    // other bytes, or the same bytes for another character, are a new LoRA
    expect((await upload(mina, 'other.safetensors', await kohyaLora(4))).statusCode).toBe(201);
    expect((await upload(rin, 'hana.safetensors', lora)).statusCode).toBe(201);
    expect(app.catalog.listArtifacts({ characterId: mina, kind: 'lora' })).toHaveLength(2);
  });
});

// test/server-loras.test.ts — LoRA artifacts through the API (inject): inspect (alpha kept, A1111
// snippet with the trigger), download in kohya (the stored file), kohya fp16, diffusers and PEFT (converted)
// formats.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from '../src/lora/convert.js';
import { makePeftTensors, writePeftFolder } from '../src/lora/lora-fixtures.js';
import { buildApp } from '../src/server/app.js';
import { readZipEntries, tempDataDir } from './helpers/server-fixtures.js';

let app: FastifyInstance;
let loraId: string;
const MODULES = [
  'down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q',
  'down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k',
];

/** A safetensors buffer's header: tensor name -> its entry (dtype, shape, offsets). */
function tensorHeader(file: Buffer): Record<string, { dtype: string }> {
  const length = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + length).toString('utf8')) as Record<
    string,
    { dtype: string }
  >;
  delete header.__metadata__;
  return header;
}

/** Tensor names in a safetensors buffer's header. */
function tensorNames(file: Buffer): string[] {
  return Object.keys(tensorHeader(file));
}

beforeAll(async () => {
  app = await buildApp({ dataDir: tempDataDir('loras'), runners: {}, webDir: '/nonexistent' });
  await app.ready();
  const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  const peft = join(app.dataDir, 'peft');
  await writePeftFolder(peft, makePeftTensors({ modules: MODULES, rank: 4, seed: 7 }), {
    r: 4,
    lora_alpha: 2,
    target_modules: ['to_q', 'to_k'],
  });
  await convertLora({ input: peft, output: join(app.dataDir, 'mina.safetensors'), to: 'kohya' });
  loraId = app.catalog.addArtifact({
    characterId: character.id,
    jobId: null,
    kind: 'lora',
    name: 'mina',
    path: 'mina.safetensors',
  }).id;
});
afterAll(async () => {
  await app.close();
});

describe('LoRA routes', () => {
  it('inspects a LoRA: kohya format, alpha / rank kept, the A1111 snippet with the trigger', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/loras/${loraId}/inspect` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.inspect).toMatchObject({ format: 'kohya', moduleCount: 2, ranks: [4], alphas: [2] });
    expect(body.snippet).toBe('<lora:mina:0.8>, mina_tl');
  });

  it("says a LoRA whose file was deleted is missing and how to get it back (it gave inspect's CLI advice)", async () => {
    const gone = app.catalog.addArtifact({
      characterId: app.catalog.getArtifact(loraId).characterId,
      jobId: null,
      kind: 'lora',
      name: 'gone',
      path: 'gone.safetensors',
    }).id;
    const res = await app.inject({ method: 'GET', url: `/api/loras/${gone}/inspect` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe(
      'The file of LoRA "gone" is missing from the server\'s data folder. Upload it again on the LoRA page, or train it again.',
    );
  });

  it('downloads the kohya file as stored and a diffusers conversion', async () => {
    const kohya = await app.inject({ method: 'GET', url: `/api/loras/${loraId}/download` });
    expect(kohya.headers['content-disposition']).toContain('mina.safetensors');
    expect(kohya.rawPayload.equals(readFileSync(join(app.dataDir, 'mina.safetensors')))).toBe(true);
    expect(tensorNames(kohya.rawPayload).every((name) => name.startsWith('lora_unet_'))).toBe(true);
    const diffusers = await app.inject({
      method: 'GET',
      url: `/api/loras/${loraId}/download?format=diffusers`,
    });
    expect(diffusers.statusCode).toBe(200);
    expect(diffusers.headers['content-disposition']).toContain('mina.diffusers.safetensors');
    const names = tensorNames(diffusers.rawPayload);
    expect(names.length).toBeGreaterThan(0);
    expect(names.some((name) => name.startsWith('lora_unet_'))).toBe(false);
    const bad = await app.inject({ method: 'GET', url: `/api/loras/${loraId}/download?format=ckpt` });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('query.format');
  });

  it('downloads kohya in fp16 (half the weight bytes, same keys) and a PEFT adapter folder as a zip', async () => {
    const stored = readFileSync(join(app.dataDir, 'mina.safetensors'));
    const fp16 = await app.inject({ method: 'GET', url: `/api/loras/${loraId}/download?format=kohya-fp16` });
    expect(fp16.statusCode).toBe(200);
    expect(fp16.headers['content-disposition']).toContain('filename="mina.fp16.safetensors"');
    expect(tensorNames(fp16.rawPayload).sort()).toEqual(tensorNames(stored).sort());
    const dtypes = Object.entries(tensorHeader(fp16.rawPayload))
      .filter(([name]) => !name.endsWith('.alpha'))
      .map(([, entry]) => entry.dtype);
    expect(new Set(dtypes)).toEqual(new Set(['F16']));

    const peft = await app.inject({ method: 'GET', url: `/api/loras/${loraId}/download?format=peft` });
    expect(peft.statusCode).toBe(200);
    expect(peft.headers['content-type']).toBe('application/zip');
    expect(peft.headers['content-disposition']).toContain('filename="mina.peft.zip"');
    const entries = readZipEntries(peft.rawPayload);
    expect([...entries.keys()].sort()).toEqual([
      'mina-peft/adapter_config.json',
      'mina-peft/adapter_model.safetensors',
    ]);
    const config = JSON.parse(String(entries.get('mina-peft/adapter_config.json')));
    expect(config).toMatchObject({ peft_type: 'LORA', r: 4, lora_alpha: 2 });
    const weights = entries.get('mina-peft/adapter_model.safetensors') as Buffer;
    expect(tensorNames(weights).every((name) => name.startsWith('base_model.model.'))).toBe(true);
    // the second request sends the copy made by the first
    const again = await app.inject({ method: 'GET', url: `/api/loras/${loraId}/download?format=kohya-fp16` });
    expect(again.rawPayload.equals(fp16.rawPayload)).toBe(true);
  });
});

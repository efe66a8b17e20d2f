// test/server-lora-upload.test.ts — POST /api/loras through fastify `inject`: a LoRA made elsewhere is stored
// as one of the character's LoRAs (listed, inspected, downloaded under its own name); a file that is not an
// SD1.5 LoRA generate can use is refused with inspect's reason and leaves no file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertLora } from '../src/lora/convert.js';
import { makePeftTensors, writeFixtureFile, writePeftFolder } from '../src/lora/lora-fixtures.js';
import { buildApp } from '../src/server/app.js';
import { multipartBody, tempDataDir } from './helpers/server-fixtures.js';

const MODULES = [
  'down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q',
  'down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k',
];

let app: FastifyInstance;
let characterId: string;
let kohya: Buffer;
let sdxl: Buffer;
let notLora: Buffer;
let diffusers: Buffer;

/** Tensor names in a safetensors buffer's header. */
function safetensorsNames(file: Buffer): string[] {
  const length = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + length).toString('utf8')) as Record<string, unknown>;
  return Object.keys(header).filter((key) => key !== '__metadata__');
}

beforeAll(async () => {
  app = await buildApp({ dataDir: tempDataDir('lora-upload'), runners: {}, webDir: '/nonexistent' });
  await app.ready();
  characterId = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
  const work = tempDataDir('lora-upload-fixtures');
  await writePeftFolder(join(work, 'peft'), makePeftTensors({ modules: MODULES, rank: 4, seed: 3 }), {
    r: 4,
    lora_alpha: 2,
    target_modules: ['to_q', 'to_k'],
  });
  await convertLora({
    input: join(work, 'peft'),
    output: join(work, 'kohya.safetensors'),
    to: 'kohya',
    trainingFacts: { trigger: 'hana_civitai' },
  });
  kohya = readFileSync(join(work, 'kohya.safetensors'));
  await convertLora({
    input: join(work, 'peft'),
    output: join(work, 'diffusers.safetensors'),
    to: 'diffusers',
  });
  diffusers = readFileSync(join(work, 'diffusers.safetensors'));
  const tensors = makePeftTensors({ modules: MODULES, rank: 4, seed: 4, prefix: 'unet.' });
  await writeFixtureFile(join(work, 'xl.safetensors'), tensors, { ss_base_model_version: 'sdxl_base_v1-0' });
  sdxl = readFileSync(join(work, 'xl.safetensors'));
  const other = [{ name: 'model.weight', dtype: 'F32' as const, shape: [2], data: new Float32Array(2) }];
  await writeFixtureFile(join(work, 'other.safetensors'), other);
  notLora = readFileSync(join(work, 'other.safetensors'));
});
afterAll(async () => {
  await app.close();
});

const upload = (filename: string, data: Buffer, query = `characterId=${characterId}`, field = 'file') =>
  app.inject({
    method: 'POST',
    url: `/api/loras?${query}`,
    ...multipartBody([{ field, filename, data, contentType: 'application/octet-stream' }]),
  });
const lorasDir = () => join(app.dataDir, 'characters', characterId, 'loras');
const storedFiles = () => (existsSync(lorasDir()) ? readdirSync(lorasDir()) : []);

describe('POST /api/loras', () => {
  it("stores an SD1.5 LoRA as one of the character's LoRAs: listed, inspected, downloaded under its name", async () => {
    const res = await upload('ミナ v2.safetensors', kohya);
    expect(res.statusCode).toBe(201);
    const lora = res.json();
    expect(lora).toMatchObject({
      characterId,
      jobId: null,
      kind: 'lora',
      name: 'ミナ v2',
      meta: {
        uploaded: true,
        originalName: 'ミナ v2.safetensors',
        format: 'kohya',
        algorithm: 'lora',
        moduleCount: 2,
      },
    });
    const list = await app.inject({
      method: 'GET',
      url: `/api/artifacts?characterId=${characterId}&kind=lora`,
    });
    expect(list.json().artifacts.map((a: { id: string }) => a.id)).toEqual([lora.id]);
    expect(app.catalog.getCharacter(characterId).loraCount).toBe(1);

    const inspect = (await app.inject({ method: 'GET', url: `/api/loras/${lora.id}/inspect` })).json();
    expect(inspect.inspect).toMatchObject({ format: 'kohya', ranks: [4], alphas: [2] });
    expect(inspect.snippet).toBe('<lora:ミナ v2:0.8>, hana_civitai'); // the LoRA's own trigger words

    const download = await app.inject({ method: 'GET', url: `/api/loras/${lora.id}/download` });
    expect(download.statusCode).toBe(200);
    expect(download.rawPayload).toEqual(kohya);
    expect(download.headers['content-disposition']).toBe(
      `attachment; filename="__ v2.safetensors"; filename*=UTF-8''${encodeURIComponent('ミナ v2.safetensors')}`,
    );
  });

  it('sends a LoRA uploaded with diffusers keys as a kohya file for the WebUI', async () => {
    const res = await upload('hana.safetensors', diffusers);
    expect(res.statusCode).toBe(201);
    expect(res.json().meta).toMatchObject({ format: 'diffusers' });
    const id = res.json().id;
    const kohyaCopy = await app.inject({ method: 'GET', url: `/api/loras/${id}/download?format=kohya` });
    expect(kohyaCopy.statusCode).toBe(200);
    expect(kohyaCopy.headers['content-disposition']).toContain('filename="hana.safetensors"');
    const names = safetensorsNames(kohyaCopy.rawPayload);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((name) => name.startsWith('lora_unet_'))).toBe(true);
  });

  it("refuses what generate cannot use with inspect's reason, naming the file as uploaded; no file stays", async () => {
    const before = storedFiles();
    const loras = app.catalog.listArtifacts({ characterId, kind: 'lora' }).length;
    const xl = await upload('pony.safetensors', sdxl);
    expect(xl.statusCode).toBe(422);
    expect(xl.json().error.code).toBe('TL_ERR_LORA_FORMAT');
    expect(xl.json().error.message).toMatch(
      /^pony\.safetensors: not an SD1\.5 LoRA toonlora can generate with, so nothing was stored: this is an SDXL LoRA \(ss_base_model_version "sdxl_base_v1-0"\)/,
    );
    const other = await upload('model.safetensors', notLora);
    expect(other.statusCode).toBe(422);
    expect(other.json().error.message).toContain('model.safetensors: not an SD1.5 LoRA');
    expect(other.json().error.message).toContain('no LoRA keys found');
    const text = await upload('notes.safetensors', Buffer.from('not a safetensors file at all'));
    expect(text.statusCode).toBe(422);
    expect(text.json().error.code).toBe('TL_ERR_SAFETENSORS');
    expect(text.json().error.message).toMatch(/^notes\.safetensors: .*Nothing was stored\.$/);
    expect(text.json().error.message).not.toContain(lorasDir());
    expect(storedFiles()).toEqual(before);
    expect(app.catalog.listArtifacts({ characterId, kind: 'lora' })).toHaveLength(loras);
  });

  it('answers 404 for an unknown character, 400 without a character or in another field', async () => {
    expect((await upload('a.safetensors', kohya, 'characterId=nope')).statusCode).toBe(404);
    expect((await upload('a.safetensors', kohya, '')).statusCode).toBe(400);
    const field = await upload('a.safetensors', kohya, `characterId=${characterId}`, 'files');
    expect(field.statusCode).toBe(400);
    expect(field.json().error.message).toContain('send it as the "file" part');
  });

  it('is documented in /openapi.json', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const post = doc.paths['/api/loras'].post;
    expect(post.requestBody.content['multipart/form-data'].schema.required).toEqual(['file']);
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['201', '422']));
  });
});

describe('POST /api/loras with a lower uploads.maxLoraBytes', () => {
  it('refuses a file over the limit the server was started with (413), keeping nothing', async () => {
    const small = await buildApp({
      dataDir: tempDataDir('lora-upload-limit'),
      runners: {},
      webDir: '/nonexistent',
      uploads: { maxLoraBytes: 1024 },
    });
    try {
      await small.ready();
      const id = small.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
      const res = await small.inject({
        method: 'POST',
        url: `/api/loras?characterId=${id}`,
        ...multipartBody([
          {
            field: 'file',
            filename: 'big.safetensors',
            data: kohya,
            contentType: 'application/octet-stream',
          },
        ]),
      });
      expect(kohya.length).toBeGreaterThan(1024);
      expect(res.statusCode).toBe(413);
      expect(res.json().error.message).toContain('1 KiB limit');
      expect(small.catalog.listArtifacts({ characterId: id })).toEqual([]);
      const loras = join(small.dataDir, 'characters', id, 'loras');
      expect(existsSync(loras) ? readdirSync(loras) : []).toEqual([]); // no part of it, and no mark
      const limits = await small.inject({ method: 'GET', url: '/api/upload-limits' });
      expect(limits.json().maxLoraBytes).toBe(1024);
    } finally {
      await small.close();
    }
  });
});

// test/server-lora-lokr-download.test.ts — a LoKr's downloads through the API (inject): kohya as stored, and
// format=diffusers, which a LoKr has none of, answered 422 naming the LoRA by its name (not the stored file,
// not the CLI's `--to kohya`) and the format to use, a status /openapi.json documents.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLokrTensors, writeFixtureFile } from '../src/lora/lora-fixtures.js';
import { buildApp } from '../src/server/app.js';
import { tempDataDir } from './helpers/server-fixtures.js';

let app: FastifyInstance;
let lokrId: string;
const Q = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
const STORED = '0b7e1c52-lokr.safetensors';

beforeAll(async () => {
  app = await buildApp({ dataDir: tempDataDir('lokr-download'), runners: {}, webDir: '/nonexistent' });
  await app.ready();
  const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  const tensors = makeLokrTensors(
    [{ path: Q, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] } }],
    5,
    'kohya',
  );
  const alpha = {
    name: `lora_unet_${Q.replaceAll('.', '_')}.alpha`,
    dtype: 'F32' as const,
    shape: [],
    data: new Float32Array([4]),
  };
  await writeFixtureFile(join(app.dataDir, STORED), [...tensors, alpha]);
  lokrId = app.catalog.addArtifact({
    characterId: character.id,
    jobId: null,
    kind: 'lora',
    name: 'mina lokr',
    path: STORED,
  }).id;
});
afterAll(async () => {
  await app.close();
});

describe('LoKr downloads', () => {
  it('sends the kohya file and refuses diffusers naming the LoRA and the kohya download', async () => {
    const kohya = await app.inject({ method: 'GET', url: `/api/loras/${lokrId}/download` });
    expect(kohya.statusCode).toBe(200);
    const res = await app.inject({ method: 'GET', url: `/api/loras/${lokrId}/download?format=diffusers` });
    expect(res.statusCode).toBe(422);
    const { error } = res.json();
    expect(error.code).toBe('TL_ERR_LORA_FORMAT');
    expect(error.message).toContain('LoRA "mina lokr" is a LoKr');
    expect(error.message).toContain('no diffusers format');
    expect(error.message).toContain('Download it as kohya (format=kohya');
    const body = res.body;
    expect(body).not.toContain(STORED);
    expect(body).not.toContain('--to');
  });

  it('documents the 422 in /openapi.json', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const responses = doc.paths['/api/loras/{id}/download'].get.responses;
    expect(Object.keys(responses)).toContain('422');
    expect(JSON.stringify(responses['422'])).toContain('"code"');
  });
});

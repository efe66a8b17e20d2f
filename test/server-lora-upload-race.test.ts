// test/server-lora-upload-race.test.ts — POST /api/loras while DELETE /api/characters/:id removes its character:
// the answer is the screenshot upload's 404 ("character … was deleted while this upload was in progress") and
// nothing of it stays. Before, a delete while the file streamed (its folder removal takes the file) answered
// TL_ERR_INPUT_NOT_FOUND "x.safetensors: no such file or folder. Give a .safetensors file…", as if the user had
// sent no file, and a delete before the body was read answered the catalog's bare "character … not found".
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveDataPath } from '../src/jobs/data-path.js';
import { convertLora } from '../src/lora/convert.js';
import { makePeftTensors, writePeftFolder } from '../src/lora/lora-fixtures.js';
import { buildApp } from '../src/server/app.js';
import { defaultLoraTools } from '../src/server/lora-tools.js';
import { multipartBody, tempDataDir } from './helpers/server-fixtures.js';

const MODULES = ['down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q'];

let app: FastifyInstance;
let kohya: Buffer;
/** Runs once before the next upload's check (the file is stored then, its body read to the end). */
let beforeCheck: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const loraTools = {
    ...defaultLoraTools,
    checkUpload: async (path: string, name: string) => {
      const run = beforeCheck;
      beforeCheck = undefined;
      await run?.();
      return defaultLoraTools.checkUpload(path, name);
    },
  };
  app = await buildApp({
    dataDir: tempDataDir('lora-upload-race'),
    runners: {},
    webDir: '/nonexistent',
    loraTools,
  });
  await app.ready();
  const work = tempDataDir('lora-upload-race-fixtures');
  await writePeftFolder(join(work, 'peft'), makePeftTensors({ modules: MODULES, rank: 4, seed: 3 }), {
    r: 4,
    lora_alpha: 2,
    target_modules: ['to_q'],
  });
  await convertLora({ input: join(work, 'peft'), output: join(work, 'kohya.safetensors'), to: 'kohya' });
  kohya = readFileSync(join(work, 'kohya.safetensors'));
});
afterAll(async () => {
  await app.close();
});

const upload = (characterId: string) =>
  app.inject({
    method: 'POST',
    url: `/api/loras?characterId=${characterId}`,
    ...multipartBody([
      { field: 'file', filename: 'x.safetensors', data: kohya, contentType: 'application/octet-stream' },
    ]),
  });

describe('a LoRA upload whose character is deleted meanwhile', () => {
  it('answers that the character was deleted during the upload, and leaves nothing of it', async () => {
    const raceAt = {
      // the file stored, not yet checked: the delete's folder removal took it (as while it streams)
      streaming: async (id: string) => {
        beforeCheck = async () => {
          const res = await app.inject({ method: 'DELETE', url: `/api/characters/${id}` });
          expect(res.statusCode).toBeLessThan(300);
        };
      },
      // before the body is read: the upload's mkdir recreates the folder the delete removed
      bodyRead: async () => {
        const realGetCharacter = app.catalog.getCharacter.bind(app.catalog);
        vi.spyOn(app.catalog, 'getCharacter').mockImplementationOnce((id) => {
          const character = realGetCharacter(id);
          for (const rel of app.catalog.deleteCharacter(id)) {
            rmSync(resolveDataPath(app.dataDir, rel), { recursive: true, force: true });
          }
          return character;
        });
      },
    };
    for (const [when, race] of Object.entries(raceAt)) {
      const id = app.catalog.createCharacter({
        name: `race ${when}`,
        trigger: 'mina_tl',
        classWord: 'girl',
      }).id;
      await race(id);
      const res = await upload(id);
      expect(res.json().error, when).toEqual({
        code: 'TL_ERR_NOT_FOUND',
        message: `character ${id} was deleted while this upload was in progress; nothing from it was stored. List characters with GET /api/characters.`,
        details: { id },
      });
      expect(res.statusCode, when).toBe(404);
      expect(existsSync(join(app.dataDir, 'characters', id)), when).toBe(false);
      vi.restoreAllMocks();
    }
  });
});

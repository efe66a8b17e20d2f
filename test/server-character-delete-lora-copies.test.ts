// test/server-character-delete-lora-copies.test.ts — DELETE /api/characters/:id also removes the diffusers-format
// copies generation made of the character's LoRAs under TOONLORA_HOME (lora-diffusers/), as a LoRA's own delete does,
// leaving other characters' copies; a copy that cannot be removed is logged by path and why, and the delete still
// answers 204. Before, the copies of a deleted character's LoRAs stayed on disk.
import { copyFile, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loraFileForDiffusers } from '../src/lora/diffusers-copy.js';
import { copyTestDir, kohyaFile, modules } from '../src/lora/diffusers-copy-testing.js';
import { diffusersCopyFolder } from '../src/worker/generate.js';
import { canRefuseRemoval, refuseFileRemoval } from './helpers/refuse-removal.js';
import { withStderrCaptured } from './helpers/stderr-capture.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';
import { trainedLora } from './helpers/trained-lora.js';

const { makeApp } = appsClosedAfterEach('character-delete-lora-copies');

afterEach(() => {
  vi.unstubAllEnvs();
});

/** An app whose generation copies go to a home of their own (the app's modelCache and this process's alike). */
async function appWithCopyHome() {
  const home = join(await copyTestDir(), 'home');
  vi.stubEnv('TOONLORA_HOME', home);
  const modelCache = { env: { ...process.env, TOONLORA_HOME: home } };
  return { app: await makeApp({ modelCache }), cache: diffusersCopyFolder(modelCache) };
}

/** A trained LoRA of a new character `name`, with the diffusers-format copy generation would make of it in `cache`. */
async function loraWithCopy(app: FastifyInstance, name: string, cache: string, alpha: number) {
  const trained = await trainedLora(app, name);
  // a mixed-alpha kohya file: generation loads it from a diffusers-format copy
  await copyFile(await kohyaFile(await copyTestDir(), name, { [modules[1] as string]: alpha }), trained.file);
  const copy = await loraFileForDiffusers(trained.file, cache);
  expect(copy.path.startsWith(cache)).toBe(true);
  return { ...trained, copy: copy.path };
}

/** DELETE /api/characters/:id, with what it writes on stderr (the server's lines without --log). */
function deleteCapturingStderr(app: FastifyInstance, characterId: string) {
  return withStderrCaptured(() => app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` }));
}

describe('DELETE /api/characters/:id and the diffusers copies generation made of its LoRAs', () => {
  it("removes the deleted character's LoRA copies and keeps another character's", async () => {
    const { app, cache } = await appWithCopyHome();
    const mina = await loraWithCopy(app, 'Mina', cache, 1);
    const rin = await loraWithCopy(app, 'Rin', cache, 2);
    expect((await readdir(cache)).sort()).toEqual([basename(mina.copy), basename(rin.copy)].sort());

    const { result: res, written } = await deleteCapturingStderr(app, mina.characterId);
    expect(res.statusCode, res.body).toBe(204);
    expect(await readdir(cache)).toEqual([basename(rin.copy)]);
    expect(written).toEqual([]);
  });

  it.runIf(canRefuseRemoval())(
    'a copy that cannot be removed is logged by path and why; the delete answers 204',
    async () => {
      const { app, cache } = await appWithCopyHome();
      const mina = await loraWithCopy(app, 'Mina', cache, 1);
      const undo = refuseFileRemoval(mina.copy);
      try {
        const { result: res, written } = await deleteCapturingStderr(app, mina.characterId);
        expect(res.statusCode, res.body).toBe(204);
        expect(
          (await app.inject({ method: 'GET', url: `/api/characters/${mina.characterId}` })).statusCode,
        ).toBe(404);
        expect(written).toEqual([
          expect.stringMatching(
            new RegExp(
              `^toonlora serve: deleting character ${mina.characterId}: could not remove the diffusers-format copy ` +
                `generation made of its LoRA ${mina.file} \\((EPERM|EACCES): [a-z ]+ at ${mina.copy}\\); `,
            ),
          ),
        ]);
      } finally {
        undo?.();
      }
      expect(await readdir(cache)).toEqual([basename(mina.copy)]);
    },
  );
});

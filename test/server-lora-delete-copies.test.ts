// test/server-lora-delete-copies.test.ts — DELETE /api/loras/:id also removes the diffusers-format copy generation
// made of the LoRA under TOONLORA_HOME (lora-diffusers/), leaving other LoRAs' copies; a later LoRA file at the
// same path, size and time then gets a copy of its own, not the deleted one's.
import { copyFile, readdir, stat, utimes } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loraFileForDiffusers } from '../src/lora/diffusers-copy.js';
import { alphasByModule, copyTestDir, kohyaFile, modules } from '../src/lora/diffusers-copy-testing.js';
import { diffusersCopyFolder } from '../src/worker/generate.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';
import { trainedLora } from './helpers/trained-lora.js';

const { makeApp } = appsClosedAfterEach('lora-delete-copies');

describe('DELETE /api/loras/:id and the diffusers copies generation made', () => {
  it('removes the deleted LoRA’s copy, keeps the others, and a new file at its path gets a fresh copy', async () => {
    const modelCache = { env: { ...process.env, TOONLORA_HOME: join(await copyTestDir(), 'home') } };
    const app = await makeApp({ modelCache });
    const { lora, file } = await trainedLora(app);
    const work = await copyTestDir();
    const time = new Date('2026-01-02T03:04:05.000Z');
    // a mixed-alpha kohya file: generation loads it from a diffusers-format copy
    await copyFile(await kohyaFile(work, 'first', { [modules[1] as string]: 1 }), file);
    await utimes(file, time, time);
    const { size } = await stat(file);
    const cache = diffusersCopyFolder(modelCache);
    const first = await loraFileForDiffusers(file, cache);
    expect(first.path.startsWith(cache)).toBe(true);
    const other = await loraFileForDiffusers(
      await kohyaFile(work, 'other', { [modules[2] as string]: 2 }),
      cache,
    );
    expect((await readdir(cache)).sort()).toEqual([basename(first.path), basename(other.path)].sort());

    const res = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(res.statusCode, res.body).toBe(204);
    expect(await readdir(cache)).toEqual([basename(other.path)]);

    // Another LoRA file lands at the same path with the same size and time but other alphas: the copy it is
    // handed holds its own alphas (the deleted one's copy, under the same cache name, held the old ones).
    const next = await kohyaFile(work, 'next', { [modules[2] as string]: 1 });
    await copyFile(next, file);
    await utimes(file, time, time);
    expect((await stat(file)).size).toBe(size);
    const again = await loraFileForDiffusers(file, cache);
    expect(again.path).toBe(first.path); // the same cache name: only the removal keeps the old copy away
    expect(await alphasByModule(again.path)).toEqual(await alphasByModule(next));
    expect(await alphasByModule(again.path)).not.toEqual(
      await alphasByModule(join(work, 'first.safetensors')),
    );
  });
});

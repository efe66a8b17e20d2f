// test/server-lora-delete-warm-worker.test.ts — DELETE /api/loras/:id (and a character's delete, for its LoRAs) unloads
// the LoRA from the warm generation worker that loaded it (an `unload_lora` line for its file), so the worker frees its
// memory; a refused delete (a generate job still uses it) unloads nothing. The worker is test/fixtures/recording-serve-worker.mjs (no Python).
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { copyTestDir, kohyaFile } from '../src/lora/diffusers-copy-testing.js';
import { WarmGenerationService } from '../src/jobs/warm-generation.js';
import { generationConfigSchema } from '../src/schemas/config.js';
import { GenerationWorker } from '../src/worker/generation-worker.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';
import { trainedLora } from './helpers/trained-lora.js';

const { makeApp } = appsClosedAfterEach('lora-delete-warm');
const RECORDING_WORKER = fileURLToPath(new URL('./fixtures/recording-serve-worker.mjs', import.meta.url));

/** An app whose warm generation worker records the lines it reads in `recorded`, with a LoRA it has generated with. */
async function appWithWarmLora(recorded: string) {
  const generation = new WarmGenerationService(
    (base, modelCache) =>
      new GenerationWorker(
        base,
        { command: process.execPath, args: [RECORDING_WORKER, recorded], cwd: process.cwd() },
        modelCache ? { modelCache } : {},
      ),
  );
  const app = await makeApp({ generation });
  const lora = await trainedLora(app);
  await copyFile(await kohyaFile(await copyTestDir(), 'mina', {}), lora.file); // a file the worker can be sent
  await generation.generate({
    generation: generationConfigSchema.parse({ baseModel: 'tiny', seeds: [1] }),
    loraPath: lora.file,
    weights: [1],
    outDir: join(app.dataDir, 'out'),
  });
  return { app, generation, ...lora };
}

async function recordedCommands(app: FastifyInstance, recorded: string) {
  await app.generation?.close(); // shutdown: every line sent before has been read
  const lines = (await readFile(recorded, 'utf8')).trim().split('\n');
  return lines.map((line) => JSON.parse(line) as { command: string; lora?: string | null });
}

describe('DELETE /api/loras/:id and the warm generation worker', () => {
  it('unloads the deleted LoRA’s file from the worker that loaded it', async () => {
    const recorded = join(await copyTestDir(), 'lines.jsonl');
    const { app, lora, file } = await appWithWarmLora(recorded);
    const res = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(res.statusCode, res.body).toBe(204);
    expect((await recordedCommands(app, recorded)).map((line) => [line.command, line.lora])).toEqual([
      ['generate', file],
      ['unload_lora', file],
      ['shutdown', undefined],
    ]);
  });

  it('unloads the LoRAs of a deleted character too', async () => {
    const recorded = join(await copyTestDir(), 'lines.jsonl');
    const { app, characterId, file } = await appWithWarmLora(recorded);
    const res = await app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` });
    expect(res.statusCode, res.body).toBe(204);
    expect((await recordedCommands(app, recorded)).map((line) => [line.command, line.lora])).toEqual([
      ['generate', file],
      ['unload_lora', file],
      ['shutdown', undefined],
    ]);
  });

  it('unloads nothing when the delete is refused', async () => {
    const recorded = join(await copyTestDir(), 'lines.jsonl');
    const { app, lora, characterId } = await appWithWarmLora(recorded);
    app.jobStore.createJob('generate', characterId, { loraId: lora.id });
    const res = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(res.statusCode, res.body).toBe(409);
    expect((await recordedCommands(app, recorded)).map((line) => line.command)).toEqual([
      'generate',
      'shutdown',
    ]);
  });
});

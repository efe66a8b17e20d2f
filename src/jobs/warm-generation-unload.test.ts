// src/jobs/warm-generation-unload.test.ts — a deleted LoRA leaves the warm worker: forgetLora sends the worker
// `unload_lora` naming the file it was sent for that LoRA (the diffusers-format copy of a mixed-alpha kohya file, the
// file itself otherwise), after the requests before it; nothing for a LoRA it never loaded, nor twice
// (test/fixtures/recording-serve-worker.mjs records the lines; no Python).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loraFileForDiffusers } from '../lora/diffusers-copy.js';
import { copyTestDir, kohyaFile, modules } from '../lora/diffusers-copy-testing.js';
import { generationConfigSchema } from '../schemas/config.js';
import { diffusersCopyFolder } from '../worker/generate.js';
import { GenerationWorker } from '../worker/generation-worker.js';
import { WarmGenerationService } from './warm-generation.js';

const RECORDING_WORKER = fileURLToPath(
  new URL('../../test/fixtures/recording-serve-worker.mjs', import.meta.url),
);

const generation = generationConfigSchema.parse({ baseModel: 'tiny', seeds: [1] });

describe('WarmGenerationService.forgetLora', () => {
  it('unloads a deleted LoRA from the warm worker, by the file the worker loaded', async () => {
    const work = await copyTestDir();
    const modelCache = { env: { ...process.env, TOONLORA_HOME: join(work, 'home') } };
    const mixed = await kohyaFile(work, 'mixed', { [modules[1] as string]: 1 }); // loaded from a copy
    const plain = await kohyaFile(work, 'plain', {});
    const recorded = join(work, 'lines.jsonl');
    let started = 0;
    const service = new WarmGenerationService((base, cache) => {
      started += 1;
      const spawn = { command: process.execPath, args: [RECORDING_WORKER, recorded], cwd: process.cwd() };
      return new GenerationWorker(base, spawn, cache ? { modelCache: cache } : {});
    });
    service.forgetLora(mixed); // no worker yet: nothing to unload, none started
    expect(started).toBe(0);
    for (const loraPath of [mixed, plain]) {
      await service.generate({ generation, loraPath, weights: [1], outDir: join(work, 'out'), modelCache });
    }
    service.forgetLora(mixed);
    service.forgetLora(join(work, 'never-generated-with.safetensors'));
    service.forgetLora(mixed); // already unloaded: nothing more to send
    service.forgetLora(plain);
    await service.close();

    const copy = (await loraFileForDiffusers(mixed, diffusersCopyFolder(modelCache))).path;
    expect(copy).not.toBe(mixed);
    const lines = (await readFile(recorded, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { command: string; lora?: string | null });
    expect(lines.map((line) => [line.command, line.lora])).toEqual([
      ['generate', copy],
      ['generate', plain],
      ['unload_lora', copy],
      ['unload_lora', plain],
      ['shutdown', undefined],
    ]);
    expect(started).toBe(1);
  });
});

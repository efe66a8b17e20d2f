// src/jobs/warm-generation.test.ts — the warm service renders one batch per weight, reports each batch,
// stops starting batches once its signal is aborted, keeps the worker after a request it refused and starts
// another after one that died (a stand-in worker, and test/fixtures/fake-worker.mjs; no Python).
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { ToonloraError } from '../errors.js';
import { generationConfigSchema } from '../schemas/config.js';
import { GenerationWorker } from '../worker/generation-worker.js';
import type { GeneratedBatch, SamplingStep } from './generation-service.js';
import { standInGenerationWorker } from './generation-stand-in-testing.js';
import { WarmGenerationService } from './warm-generation.js';

/** The stand-in worker with sampling steps at 4 it/s; `onRequest` runs before each request resolves. */
const standInWorker = (onRequest: (weight: number) => void) =>
  standInGenerationWorker({ samplingItPerS: 4, beforeReturn: onRequest });

const FAKE_WORKER = fileURLToPath(new URL('../../test/fixtures/fake-worker.mjs', import.meta.url));
const SILENT_WORKER = fileURLToPath(new URL('../../test/fixtures/silent-worker.mjs', import.meta.url));

const generation = generationConfigSchema.parse({ baseModel: 'tiny', seeds: [1, 2, 3] });

describe('WarmGenerationService', () => {
  it('renders one batch per weight and reports each with its grid', async () => {
    const { factory, requests } = standInWorker(() => {});
    const batches: GeneratedBatch[] = [];
    const service = new WarmGenerationService(factory);
    const output = await service.generate({
      generation,
      weights: [0.5, 1],
      outDir: '/out',
      onBatch: (batch) => batches.push(batch),
    });
    expect(requests).toEqual([0.5, 1]);
    expect(output.stopped).toBe(false);
    expect(output.images.map((image) => [image.seed, image.weight])).toEqual([
      [1, 0.5],
      [2, 0.5],
      [3, 0.5],
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect(output.grids).toEqual([
      { path: '/out/weight-0.5/grid.png', weight: 0.5 },
      { path: '/out/weight-1/grid.png', weight: 1 },
    ]);
    expect(batches.map((batch) => batch.images.length)).toEqual([3, 3]);
    expect(output.timing).toMatchObject({ warm: false, loadMs: 2000, generateMs: 1000 });
  });

  it('reports each sampling step within its weight batch, before that batch lands', async () => {
    const { factory } = standInWorker(() => {});
    const seen: string[] = [];
    const steps: SamplingStep[] = [];
    await new WarmGenerationService(factory).generate({
      generation: { ...generation, steps: 2 },
      weights: [0.5, 1],
      outDir: '/out',
      onStep: (step) => {
        steps.push(step);
        seen.push(`step ${step.weight} ${step.step}/${step.total}`);
      },
      onBatch: (batch) => seen.push(`batch ${batch.images[0]?.weight}`),
    });
    expect(seen).toEqual([
      'step 0.5 1/2',
      'step 0.5 2/2',
      'batch 0.5',
      'step 1 1/2',
      'step 1 2/2',
      'batch 1',
    ]);
    expect(steps[2]).toEqual({ weight: 1, batch: 2, batches: 2, step: 1, total: 2, itPerS: 4, etaS: 0.25 });
  });

  it('cancels the batch being rendered and starts no further one once the signal is aborted', async () => {
    const controller = new AbortController();
    const { factory, requests } = standInWorker((weight) => {
      if (weight === 0.4) controller.abort('cancel');
    });
    const batches: GeneratedBatch[] = [];
    const output = await new WarmGenerationService(factory).generate({
      generation,
      weights: [0.2, 0.4, 0.6, 0.8, 1],
      outDir: '/out',
      signal: controller.signal,
      onBatch: (batch) => batches.push(batch),
    });
    expect(requests).toEqual([0.2, 0.4]);
    expect(output.stopped).toBe(true);
    expect(output.images).toHaveLength(3); // weight 0.2's seeds; 0.4 was cancelled while it rendered
    expect(batches).toHaveLength(1);
  });

  it("names an uploaded LoRA in a worker's error by its name, not the server's file", async () => {
    const stored = '/data/characters/c1/loras/0b7e1c52.safetensors';
    const { factory } = standInWorker(() => {
      throw new ToonloraError(
        'TL_ERR_LORA_FORMAT',
        `${stored}: LoKr module 'down_blocks.0.attn1.to_k' has a Tucker core (lokr_t2). The WebUI may still load it.`,
        { details: { worker: 'serve-generation', kind: 'bad_input' } },
      );
    });
    const failed = new WarmGenerationService(factory).generate({
      generation,
      loraPath: stored,
      loraName: 'mina lokr',
      weights: [1],
      outDir: '/out',
    });
    await expect(failed).rejects.toMatchObject({
      code: 'TL_ERR_LORA_FORMAT',
      message: `LoRA "mina lokr": LoKr module 'down_blocks.0.attn1.to_k' has a Tucker core (lokr_t2). The WebUI may still load it.`,
      details: { kind: 'bad_input' },
    });
  });

  it('keeps the worker warm after a LoRA file it refused: the next request loads no base and renders as a cold one', async () => {
    const refused = new ToonloraError(
      'TL_ERR_LORA_FORMAT',
      'lokr.safetensors: LoKr module has a Tucker core.',
      {
        details: { worker: 'serve-generation', kind: 'lora_format' },
      },
    );
    const { factory, workers } = standInWorker((weight) => {
      if (weight === 0.3) throw refused;
    });
    const service = new WarmGenerationService(factory);
    const request = { generation, weights: [1], outDir: '/out' };
    const cold = await new WarmGenerationService(standInWorker(() => {}).factory).generate(request);
    await expect(service.generate({ ...request, weights: [0.3] })).rejects.toBe(refused);
    const next = await service.generate(request);
    expect(workers).toEqual(['tiny']);
    expect(next.timing).toMatchObject({ warm: true, loadMs: 0 });
    expect(next.images).toEqual(cold.images);
    expect(next.grids).toEqual(cold.grids);
  });

  it('starts a new worker after one that died, broke the protocol or failed in an unknown way', async () => {
    const failures = [
      new ToonloraError(
        'TL_ERR_WORKER',
        'python worker (serve-generation) was killed by SIGKILL before finishing.',
        {
          details: { exitCode: null, signal: 'SIGKILL' },
        },
      ),
      new ToonloraError(
        'TL_ERR_WORKER_PROTOCOL',
        'python worker (serve-generation) wrote a line that is not a protocol event',
      ),
      new ToonloraError('TL_ERR_WORKER', 'CUDA error: an illegal memory access', {
        details: { worker: 'serve-generation', kind: 'internal' },
      }),
      new Error('write EPIPE'),
    ];
    let failure: Error | undefined;
    const { factory, workers } = standInWorker(() => {
      if (failure) throw failure;
    });
    const service = new WarmGenerationService(factory);
    for (const error of failures) {
      failure = error;
      await expect(service.generate({ generation, weights: [1], outDir: '/out' })).rejects.toBe(error);
      failure = undefined;
      const next = await service.generate({ generation, weights: [1], outDir: '/out' });
      expect(next.timing).toMatchObject({ warm: false, loadMs: 2000 });
    }
    expect(workers).toHaveLength(failures.length + 1);
  });

  it('starts a new worker for the next job when the warm one ended between jobs', async () => {
    const made: GenerationWorker[] = [];
    const service = new WarmGenerationService((base) => {
      const worker = new GenerationWorker(base, {
        command: process.execPath,
        args: [FAKE_WORKER, 'serve-once'],
        cwd: process.cwd(),
      });
      made.push(worker);
      return worker;
    });
    const first = await service.generate({ generation, weights: [1], outDir: '/o1' });
    expect(first.timing.warm).toBe(false);
    await vi.waitFor(() => expect(made[0]?.ended).toBe(true), { timeout: 20_000 });
    const next = await service.generate({ generation, weights: [1], outDir: '/o2' });
    expect(next.timing).toMatchObject({ warm: false, loadMs: 1500 });
    expect(next.images.map((image) => image.path)).toEqual(['/o2/seed-1.png']);
    expect(made).toHaveLength(2);
    await service.close();
  });

  it('fails the job of a worker that went silent, and starts a fresh worker for the next job', async () => {
    // the first worker renders one step of each request, then sends nothing; the second one is well
    const plans = [{ stallAfter: 1 }, {}];
    const made: GenerationWorker[] = [];
    const service = new WarmGenerationService((base) => {
      const plan = plans[made.length] ?? {};
      const worker = new GenerationWorker(
        base,
        { command: process.execPath, args: [SILENT_WORKER, JSON.stringify(plan)], cwd: process.cwd() },
        { silence: { loadS: 8, requestS: 1 } }, // silent after its first step: the request allowance applies
      );
      made.push(worker);
      return worker;
    });
    const stuck = service.generate({ generation: { ...generation, steps: 3 }, weights: [1], outDir: '/o1' });
    await expect(stuck).rejects.toMatchObject({
      code: 'TL_ERR_WORKER',
      message: expect.stringContaining(
        'the generation worker sent nothing for 1 s; it was stopped and will be restarted for the next job.',
      ),
    });
    const next = await service.generate({
      generation: { ...generation, steps: 3 },
      weights: [1],
      outDir: '/o2',
    });
    expect(next.timing).toMatchObject({ warm: false });
    expect(next.images.map((image) => image.path)).toEqual([
      '/o2/seed-1.png',
      '/o2/seed-2.png',
      '/o2/seed-3.png',
    ]);
    expect(made).toHaveLength(2);
    expect(made[0]?.ended).toBe(true);
    await service.close();
  }, 30_000);
});

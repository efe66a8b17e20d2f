// src/worker/parse-done.test.ts — a worker's `done` is read through its command's schema (python-worker.ts
// parseDone): a missing, renamed or null field, or `cancelled` from a command that cannot be cancelled, is
// TL_ERR_WORKER_PROTOCOL naming the command and the field at every caller, never NaN, 0, [] or "undefined".
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generationConfigSchema, trainingConfigSchema } from '../schemas/config.js';
import { captionImagesWithBlip } from './blip.js';
import { runGeneration } from './generate.js';
import { countLora } from './lora-count.js';
import { describeMemoryEstimate, estimateTrainingMemory } from './memory-estimate.js';
import { doneSchemaByCommand, loraCountDoneSchema, PROTOCOL_VERSION } from './protocol.js';
import { parseDone, type WorkerOutcome, type WorkerSpawn } from './python-worker.js';
import { planTraining, runTraining } from './train.js';

/** A worker that reads its request to the end, then answers with `event` (version added) and exits. */
function answering(event: Record<string, unknown>): WorkerSpawn {
  const line = JSON.stringify({ version: PROTOCOL_VERSION, ...event });
  return {
    command: process.execPath,
    args: [
      '-e',
      `process.stdin.resume().on('end', () => process.stdout.write(${JSON.stringify(line)} + '\\n'))`,
    ],
    cwd: process.cwd(),
  };
}

const done = (
  artifacts: Record<string, unknown>,
  stats: Record<string, unknown>,
  facts?: Record<string, unknown>,
) => ({
  type: 'done',
  artifacts,
  stats,
  ...(facts === undefined ? {} : { facts }),
});

const LORA_COUNT = {
  modules: 32,
  trainable_params: 9984,
  unet_params: 792964,
  text_encoder_modules: 16,
  text_encoder_trainable_params: 4096,
  text_encoder_params: 61684,
};
const MEMORY = {
  peak_gib: 3,
  step_peak_gib: 2.25,
  sample_peak_gib: 3,
  resident_gib: 1.5,
  cuda_context_gib: 0.75,
};
const config = trainingConfigSchema.parse({ baseModel: 'tiny', steps: 8 });

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A dataset folder with one image (the answering worker never reads it). */
function dataset(): string {
  const root = tempDir('tl-parse-done-ds-');
  mkdirSync(join(root, '5_sks girl'));
  writeFileSync(join(root, '5_sks girl', 'a.png'), '');
  return root;
}

const protocolError = (...parts: string[]) => ({
  code: 'TL_ERR_WORKER_PROTOCOL',
  message: expect.stringMatching(
    new RegExp(parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')),
  ),
});

describe('parseDone', () => {
  const outcome = (stats: Record<string, unknown>): WorkerOutcome =>
    ({ status: 'done', done: { version: 1, ...done({}, stats) }, events: [] }) as WorkerOutcome;

  it("returns the command's typed payload", () => {
    expect(parseDone(loraCountDoneSchema, outcome(LORA_COUNT), 'lora-count').stats.modules).toBe(32);
  });

  it('names the command, the field, what it expected and what came for a renamed or null field', () => {
    const { modules, ...rest } = LORA_COUNT;
    expect(() =>
      parseDone(loraCountDoneSchema, outcome({ ...rest, lora_modules: modules }), 'lora-count'),
    ).toThrow(
      /^python worker \(lora-count\) sent a "done" event that does not match the protocol: stats\.modules: .*number.* \(got nothing\)\. trainer\/ and the CLI may be from different versions; run toonlora setup\.$/,
    );
    expect(() =>
      parseDone(
        doneSchemaByCommand['estimate-memory'],
        outcome({ ...MEMORY, peak_gib: null }),
        'estimate-memory',
      ),
    ).toThrow(/: stats\.peak_gib: .* \(got null\)\./);
  });

  it('refuses `cancelled` where the command only ends in `done`', () => {
    const cancelled: WorkerOutcome = { status: 'cancelled', step: 0, checkpoint: null, events: [] };
    expect(() => parseDone(loraCountDoneSchema, cancelled, 'lora-count')).toThrow(
      'python worker (lora-count) answered "cancelled" where the protocol has only "done" for this command.',
    );
  });
});

describe('every caller reads its done through the schema', () => {
  it('lora-count: a renamed count fails instead of printing NaN modules', async () => {
    const { modules, ...rest } = LORA_COUNT;
    await expect(
      countLora(config, answering(done({}, { ...rest, lora_modules: modules }))),
    ).rejects.toMatchObject(protocolError('(lora-count)', 'stats.modules'));
    expect((await countLora(config, answering(done({}, LORA_COUNT)))).lora.modules).toBe(32);
  });

  it('estimate-memory: a null (non-finite) peak fails instead of showing 0.00 GiB; the CUDA context is the worker’s', async () => {
    await expect(
      estimateTrainingMemory(config, answering(done({}, { ...MEMORY, peak_gib: null }))),
    ).rejects.toMatchObject(protocolError('(estimate-memory)', 'stats.peak_gib', 'got null'));
    const estimate = await estimateTrainingMemory(config, answering(done({}, MEMORY)));
    expect(estimate).toMatchObject({ peakGiB: 3, cudaContextGiB: 0.75 });
    expect(describeMemoryEstimate(estimate, config)).toContain('Add about 0.75 GiB for the CUDA context');
  });

  it('scan-dataset: no warnings list fails instead of reading as none, and `cancelled` is a protocol error', async () => {
    const stats = { images: 1, images_with_repeats: 5, micro_batches_per_epoch: 5, steps: 8, epochs: 2 };
    const artifacts = { trained_images: ['/d/5_sks girl/a.png'], buckets: null };
    await expect(planTraining(dataset(), config, answering(done(artifacts, stats)))).rejects.toMatchObject(
      protocolError('(scan-dataset)', 'artifacts.warnings'),
    );
    await expect(
      planTraining(dataset(), config, answering({ type: 'cancelled', step: 0, checkpoint: null })),
    ).rejects.toMatchObject(protocolError('(scan-dataset) answered "cancelled"'));
  });

  it('train: a done without the trained images, the epochs or the facts fails; no fallback reads the folder instead', async () => {
    const artifacts = {
      adapter: '/r/adapter_model.safetensors',
      adapter_config: '/r/adapter_config.json',
      checkpoint: '/r/checkpoints/step-000008',
      trained_images: [],
    };
    const stats = { steps: 8, epochs: 1, images: 0, lora_modules: 32, trainable_params: 9984, seconds: 1.5 };
    const { trained_images: _, ...noImages } = artifacts;
    const { epochs: __, ...noEpochs } = stats;
    const train = (event: Record<string, unknown>) =>
      runTraining({
        datasetDir: dataset(),
        runDir: tempDir('tl-parse-done-run-'),
        config,
        spawn: answering(event),
      });
    const facts = {
      folders: [],
      triggers: [],
      images: 0,
      images_with_repeats: 0,
      mixed_precision: 'no',
      prediction_type: 'epsilon',
      optimizer: 'torch.optim.adamw.AdamW',
      max_grad_norm: 1,
      max_token_length: 75,
      bucket_info: null,
    };
    await expect(train(done(noImages, stats, facts))).rejects.toMatchObject(
      protocolError('(train)', 'artifacts.trained_images'),
    );
    await expect(train(done(artifacts, noEpochs, facts))).rejects.toMatchObject(
      protocolError('(train)', 'stats.epochs'),
    );
    const { adapter: ___, ...noAdapter } = artifacts;
    await expect(train(done(noAdapter, stats, facts))).rejects.toMatchObject(
      protocolError('(train)', 'artifacts.adapter'),
    );
    await expect(train(done(artifacts, stats))).rejects.toMatchObject(protocolError('(train)', 'facts'));
    const { mixed_precision: ____, ...noPrecision } = facts;
    await expect(train(done(artifacts, stats, noPrecision))).rejects.toMatchObject(
      protocolError('(train)', 'facts.mixed_precision'),
    );
  });

  it('generate: a done without its images fails instead of returning none; a null timing stays null (shown as ?)', async () => {
    const options = {
      outputDir: tempDir('tl-parse-done-gen-'),
      config: generationConfigSchema.parse({ prompt: 'sks' }),
    };
    await expect(
      runGeneration({ ...options, spawn: answering(done({ grid: null }, { swap_s: 0.1, generate_s: 1 })) }),
    ).rejects.toMatchObject(protocolError('(generate)', 'artifacts.images'));
    const result = await runGeneration({
      ...options,
      spawn: answering(
        done({ images: ['/o/seed-1.png'], grid: null }, { load_s: 1, swap_s: null, generate_s: 1 }),
      ),
    });
    expect(result).toMatchObject({ images: ['/o/seed-1.png'], timings: { swap_s: null } });
  });

  it('blip-caption: a done without its counts fails', async () => {
    await expect(
      captionImagesWithBlip([], { spawn: answering(done({}, { captioned: 0 })) }),
    ).rejects.toMatchObject(protocolError('(blip-caption)', 'stats.failed'));
  });
});

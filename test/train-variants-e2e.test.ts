// test/train-variants-e2e.test.ts — runTraining on the `tiny` base with the other adapters: a text-encoder LoRA
// (lora_te_ modules in the kohya file), and a LoKr with a text-encoder LoKr, written as a LyCORIS file that the
// GenerationWorker generates with. Dataset in helpers/tiny-training.ts.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../src/lora/safetensors-read.js';
import { trainingConfigSchema } from '../src/schemas/config.js';
import { GenerationWorker } from '../src/worker/generation-worker.js';
import { runTraining } from '../src/worker/train.js';
import { tinyGeneration } from './helpers/tiny-generation.js';
import { writeTinyDataset } from './helpers/tiny-training.js';

const root = mkdtempSync(join(tmpdir(), 'tl-train-variants-e2e-'));
const dataset = join(root, 'dataset');

beforeAll(() => writeTinyDataset(dataset));

describe('runTraining on tiny with trainTextEncoder', () => {
  it('writes the text-encoder adapter and lora_te_ modules into the kohya file', async () => {
    const config = trainingConfigSchema.parse({
      baseModel: 'tiny',
      resolution: 64,
      steps: 2,
      lora: { rank: 4, alpha: 2 },
      trainTextEncoder: true,
      textEncoderLearningRate: 1e-4,
    });
    const run = await runTraining({ datasetDir: dataset, runDir: join(root, 'run-te'), config });
    expect(run).toMatchObject({ status: 'done', steps: 2 });
    expect(run.textEncoderAdapter).toBe(join(root, 'run-te', 'text_encoder', 'adapter_model.safetensors'));
    expect(run.stats.text_encoder_lora_modules).toBe(16);
    const reader = await openSafetensors(run.kohyaFile ?? '');
    try {
      const names = reader.header.tensors.map((t) => t.name);
      expect(names.filter((n) => n.startsWith('lora_te_text_model_encoder_layers_'))).toHaveLength(16 * 3);
      expect(names.every((n) => n.startsWith('lora_unet_') || n.startsWith('lora_te_'))).toBe(true);
      expect(reader.header.metadata).toMatchObject({
        ss_network_train_unet_only: 'False',
        ss_text_encoder_lr: '0.0001',
      });
    } finally {
      await reader.close();
    }
  }, 180_000);
});

describe('runTraining on tiny with LoKr (and a text-encoder LoKr)', () => {
  it('writes a LyCORIS LoKr kohya file that the GenerationWorker generates with', async () => {
    const config = trainingConfigSchema.parse({
      baseModel: 'tiny',
      resolution: 64,
      steps: 2,
      learningRate: 5e-2,
      lora: { rank: 4, algorithm: 'lokr' },
      trainTextEncoder: true,
    });
    const run = await runTraining({ datasetDir: dataset, runDir: join(root, 'run-lokr'), config });
    expect(run).toMatchObject({ status: 'done', steps: 2 });
    const reader = await openSafetensors(run.kohyaFile ?? '');
    try {
      const names = reader.header.tensors.map((t) => t.name);
      const modules = new Set(names.map((n) => n.slice(0, n.indexOf('.'))));
      expect(names.every((n) => /\.(lokr_w[12](_[ab])?|alpha)$/.test(n))).toBe(true);
      expect([...modules].filter((m) => m.startsWith('lora_unet_'))).toHaveLength(32);
      expect([...modules].filter((m) => m.startsWith('lora_te_'))).toHaveLength(16);
      expect(reader.header.metadata).toMatchObject({
        ss_network_module: 'lycoris.kohya',
        ss_network_dim: '4',
      });
      expect(JSON.parse(reader.header.metadata?.ss_network_args ?? '{}')).toMatchObject({ algo: 'lokr' });
    } finally {
      await reader.close();
    }
    const worker = new GenerationWorker('tiny');
    try {
      await worker.start();
      const generated = await worker.generate({
        lora: run.kohyaFile ?? '',
        outputDir: join(root, 'gen-lokr'),
        config: tinyGeneration(),
      });
      expect(generated.images).toHaveLength(1);
      expect(existsSync(generated.images[0] ?? '')).toBe(true);
    } finally {
      await worker.close();
    }
  }, 180_000);
});

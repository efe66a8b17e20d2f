// test/train-tiny-run-e2e.test.ts — the real chain on the `tiny` base: runTraining through the Python worker
// (progress, checkpoint, PEFT adapter, the kohya file written by src/lora/convert.ts and its metadata), then the warm
// GenerationWorker loading that file, swapping LoRAs, cancelling; and `train --dry-run`'s plan checked against the
// warnings this run printed. Dataset and launcher in helpers/tiny-training.ts.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../src/lora/safetensors-read.js';
import { generationConfigSchema, trainingConfigSchema } from '../src/schemas/config.js';
import { runGeneration } from '../src/worker/generate.js';
import { GenerationWorker } from '../src/worker/generation-worker.js';
import type { WorkerEvent } from '../src/worker/protocol.js';
import { runTraining, type TrainResult } from '../src/worker/train.js';
import { dryRun, execFileAsync, launcher, writeTinyDataset } from './helpers/tiny-training.js';

const root = mkdtempSync(join(tmpdir(), 'tl-train-e2e-'));
const dataset = join(root, 'dataset');

let result: TrainResult;
const events: WorkerEvent[] = [];

beforeAll(async () => {
  await writeTinyDataset(dataset);

  const config = trainingConfigSchema.parse({
    baseModel: 'tiny',
    resolution: 64,
    steps: 4,
    learningRate: 1e-3,
    lora: { rank: 4, alpha: 2 },
    checkpointEverySteps: 2,
    sampleEverySteps: 0,
  });
  result = await runTraining({
    datasetDir: dataset,
    runDir: join(root, 'run'),
    config,
    onEvent: (e) => events.push(e),
  });
}, 180_000);

describe('runTraining on tiny', () => {
  it('streams progress and checkpoints and returns the artifacts', () => {
    expect(
      events.filter((e) => e.type === 'progress').map((e) => (e.type === 'progress' ? e.step : 0)),
    ).toEqual([1, 2, 3, 4]);
    expect(events.some((e) => e.type === 'checkpoint' && e.step === 2)).toBe(true);
    expect(result).toMatchObject({ status: 'done', steps: 4 });
    expect(result.lastLoss).toBeGreaterThan(0);
    expect(existsSync(result.adapter ?? '')).toBe(true);
    expect(result.stats.trainable_params).toBe(9984);
  });

  it('writes the kohya file next to the adapter', () => {
    expect(result.kohyaFile).toBe(join(root, 'run', 'run.safetensors'));
    expect(existsSync(result.kohyaFile ?? '')).toBe(true);
  });

  it("records every concept folder's trigger, the images with repeats, the epochs and ss_dataset_dirs", async () => {
    const reader = await openSafetensors(result.kohyaFile ?? '');
    try {
      const metadata = reader.header.metadata ?? {};
      expect(metadata).toMatchObject({
        'modelspec.trigger_phrase': 'zzk, sks', // folder name order; the 0_ folder is not trained
        ss_num_train_images: '11', // 2 images x 5 repeats + 1 x 1, as kohya counts
        ss_epoch: String(result.stats.epochs),
      });
      // mixedPrecision fp16 (the default) runs in float32 on a CPU: the file records what ran
      const onCpu = events.some((e) => e.type === 'log' && / on cpu \(/.test(e.message));
      expect(metadata.ss_mixed_precision).toBe(onCpu ? 'no' : 'fp16');
      expect(result.stats.epochs).toBe(1); // 4 steps of batch 1 in an 11-image epoch
      expect(JSON.parse(metadata.ss_dataset_dirs ?? '{}')).toEqual({
        '1_zzk boy': { n_repeats: 1, img_count: 1 },
        '5_sks pattern': { n_repeats: 5, img_count: 2 },
      });
      expect(JSON.parse(metadata.ss_tag_frequency ?? '{}')['1_zzk boy']).toEqual({
        zzk: 1,
        'caption file tag': 1,
      });
      // the cut-off cut.png was left out of the run (a warning named it), so of the metadata too
      expect(JSON.parse(metadata.ss_tag_frequency ?? '{}')['5_sks pattern']).toEqual({
        sks: 2,
        'striped pattern': 2,
        'red and blue': 2,
      });
      expect(result.stats.images).toBe(3);
      expect(
        events.some(
          (e) =>
            e.type === 'log' &&
            e.level === 'warn' &&
            e.message.startsWith(`${join(dataset, '5_sks pattern', 'cut.png')}: cannot read image (`),
        ),
      ).toBe(true);
    } finally {
      await reader.close();
    }
  });

  it('refuses to train over a finished run without --resume', async () => {
    const config = trainingConfigSchema.parse({ baseModel: 'tiny', resolution: 64, steps: 2 });
    await expect(
      runTraining({ datasetDir: dataset, runDir: join(root, 'run'), config }),
    ).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
    });
  });

  it('checks -o before the worker starts: a file, or a run folder whose LoRA file name is taken', async () => {
    const config = trainingConfigSchema.parse({ baseModel: 'tiny', resolution: 64, steps: 2 });
    const file = join(root, 'a-file');
    writeFileSync(file, 'mine\n');
    await expect(runTraining({ datasetDir: dataset, runDir: file, config })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: `${file}: this is a file, not a folder. Choose a folder you can write to for -o (the run folder).`,
    });
    const taken = join(root, 'taken');
    mkdirSync(taken);
    writeFileSync(join(taken, 'taken.safetensors'), 'not ours\n');
    await expect(runTraining({ datasetDir: dataset, runDir: taken, config })).rejects.toMatchObject({
      code: 'TL_ERR_OUTPUT_EXISTS',
      message: expect.stringContaining(`${join(taken, 'taken.safetensors')}: already exists`),
    });
    expect(readFileSync(join(taken, 'taken.safetensors'), 'utf8')).toBe('not ours\n');
    expect(existsSync(join(taken, 'adapter_model.safetensors'))).toBe(false); // refused before training
    const generation = generationConfigSchema.parse({ baseModel: 'tiny', prompt: 'sks' });
    await expect(runGeneration({ outputDir: file, config: generation })).rejects.toMatchObject({
      code: 'TL_ERR_USAGE',
      message: expect.stringContaining(`${file}: this is a file, not a folder`),
    });
  });
});

describe('GenerationWorker on tiny', () => {
  const worker = new GenerationWorker('tiny');
  afterAll(() => worker.close());

  it('loads the base once, then generates with the trained LoRA and without it', async () => {
    const { loadSeconds } = await worker.start();
    const config = generationConfigSchema.parse({
      baseModel: 'tiny',
      prompt: 'sks, striped pattern',
      steps: 3,
      width: 64,
      height: 64,
      seeds: [1, 2],
    });
    const first = await worker.generate({
      lora: result.kohyaFile ?? '',
      outputDir: join(root, 'gen'),
      config,
    });
    const again = await worker.generate({
      lora: result.kohyaFile ?? '',
      outputDir: join(root, 'gen'),
      config,
    });
    const bare = await worker.generate({ outputDir: join(root, 'gen'), config });
    expect(first.images).toHaveLength(2);
    expect(first.grid).not.toBeNull();
    expect(new Set([...first.images, ...again.images, ...bare.images]).size).toBe(6);
    expect(loadSeconds).toBeGreaterThan(0);
    expect(Number(again.timings.swap_s)).toBeLessThan(Number(first.timings.swap_s));
  }, 120_000);

  it('cancels a request at its next sampling step (no images) and answers the next one, still warm', async () => {
    const config = generationConfigSchema.parse({
      baseModel: 'tiny',
      prompt: 'sks, striped pattern',
      steps: 300, // seconds on the tiny model: the abort after step 1 lands well before the end
      width: 64,
      height: 64,
      seeds: [1],
    });
    const controller = new AbortController();
    const steps: number[] = [];
    const outputDir = join(root, 'gen-cancelled');
    const cancelled = await worker.generate({
      outputDir,
      config,
      signal: controller.signal,
      onEvent: (event) => {
        steps.push(event.step);
        controller.abort();
      },
    });
    expect(cancelled.stopped).toBe(true);
    expect(cancelled.images).toEqual([]);
    expect(Number(cancelled.timings.stopped_at_step)).toBeLessThan(50);
    expect(Math.max(...steps)).toBe(Number(cancelled.timings.stopped_at_step));
    expect(existsSync(outputDir)).toBe(false);
    const next = await worker.generate({
      outputDir: join(root, 'gen-after'),
      config: { ...config, steps: 2 },
    });
    expect(next.stopped).toBe(false);
    expect(next.images).toHaveLength(1);
  }, 120_000);
});

describe('toonlora train --dry-run', () => {
  it('turns --epochs into the steps the run trains, and fails on a missing dataset as the run does', async () => {
    const dry = await dryRun(dataset, '--base', 'tiny', '--epochs', '2', '--json');
    const report = JSON.parse(dry.stdout) as {
      config: { steps: number; epochs: number };
      plan: { steps: number; epochs: number; images: number; imagesWithRepeats: number; warnings: string[] };
    };
    // 2 images x 5 repeats + 1 x 1 (the 0_ folder is not trained, the cut-off cut.png is left out): 11 an epoch
    const cut = join(dataset, '5_sks pattern', 'cut.png');
    expect(report.plan).toEqual({
      steps: 22,
      epochs: 2,
      images: 3,
      imagesWithRepeats: 11,
      warnings: [
        `${join(dataset, '0_off x')}: repeats is 0, folder skipped`,
        expect.stringMatching(
          new RegExp(`^${cut}: cannot read image \\(.+\\); left out of the training set$`),
        ),
      ],
    });
    // the dataset warnings the real run printed, word for word, each on stderr
    const runWarnings = events.flatMap((e) => (e.type === 'log' && e.level === 'warn' ? [e.message] : []));
    for (const warning of report.plan.warnings) {
      expect(runWarnings).toContain(warning);
      expect(dry.stderr).toContain(`toonlora train: warning: ${warning}\n`);
    }
    expect(report.config).toMatchObject({ steps: 22, epochs: 2 });
    const missing = join(root, 'no-such-dataset');
    await expect(
      execFileAsync(launcher, ['train', missing, '--base', 'tiny', '--dry-run']),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`${missing}: dataset folder not found`),
    });
  }, 180_000);
});

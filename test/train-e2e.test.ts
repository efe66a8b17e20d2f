// test/train-e2e.test.ts — the real chain on the `tiny` base: runTraining through the Python worker
// (progress, checkpoint, PEFT adapter), the kohya file written by src/lora/convert.ts, then the warm
// GenerationWorker loading that file, swapping LoRAs, and reporting load vs swap time.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../src/lora/safetensors-read.js';
import { generationConfigSchema, trainingConfigSchema } from '../src/schemas/config.js';
import { GenerationWorker, runGeneration } from '../src/worker/generate.js';
import type { WorkerEvent } from '../src/worker/protocol.js';
import { runTraining, type TrainResult } from '../src/worker/train.js';
import { trainEventLineSchema } from '../src/worker/train-events.js';

const root = mkdtempSync(join(tmpdir(), 'tl-train-e2e-'));
const dataset = join(root, 'dataset');

async function writePattern(path: string, phase: number): Promise<void> {
  const size = 64;
  const pixels = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const stripe = Math.floor((x + y + phase) / 8) % 2 === 0;
      pixels.set(stripe ? [230, 40, 30] : [20, 30, 120], (y * size + x) * 3);
    }
  }
  await sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toFile(path);
}

let result: TrainResult;
const events: WorkerEvent[] = [];

beforeAll(async () => {
  const folder = join(dataset, '5_sks pattern');
  mkdirSync(folder, { recursive: true });
  for (const i of [0, 1]) {
    await writePattern(join(folder, `img${i}.png`), i);
    writeFileSync(join(folder, `img${i}.txt`), 'sks, striped pattern, red and blue');
  }
  // a second concept whose caption is a kohya `.caption` file, and a `0_` folder the trainer skips
  mkdirSync(join(dataset, '1_zzk boy'));
  await writePattern(join(dataset, '1_zzk boy', 'b.png'), 3);
  writeFileSync(join(dataset, '1_zzk boy', 'b.caption'), '\ufeffzzk, caption file tag');
  mkdirSync(join(dataset, '0_off x'));
  await writePattern(join(dataset, '0_off x', 'c.png'), 5);
  // a PNG cut off after its header, with a caption: the worker leaves it out, so no count or tag may record it
  await writePattern(join(folder, 'cut.png'), 7);
  const whole = readFileSync(join(folder, 'cut.png'));
  writeFileSync(join(folder, 'cut.png'), whole.subarray(0, Math.floor(whole.length / 2)));
  writeFileSync(join(folder, 'cut.txt'), 'sks, never trained tag');
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
        config: generationConfigSchema.parse({
          baseModel: 'tiny',
          prompt: 'sks, striped pattern',
          steps: 2,
          width: 64,
          height: 64,
          seeds: [1],
        }),
      });
      expect(generated.images).toHaveLength(1);
      expect(existsSync(generated.images[0] ?? '')).toBe(true);
    } finally {
      await worker.close();
    }
  }, 180_000);
});

describe('toonlora train --dry-run', () => {
  let dryRunStderr = '';
  /** stdout of `./toonlora train <dataset> --dry-run ...args` (its stderr in dryRunStderr). */
  async function dryRun(...args: string[]): Promise<string> {
    const launcher = new URL('../toonlora', import.meta.url).pathname;
    const { stdout, stderr } = await promisify(execFile)(launcher, ['train', dataset, '--dry-run', ...args]);
    dryRunStderr = stderr;
    return stdout;
  }

  it('prints the resolved config and the real SD1.5 LoRA size (128 modules, ~6.4 M parameters)', async () => {
    const report = JSON.parse(await dryRun('--rank', '32', '--json')) as {
      config: { lora: { alpha: number }; compile: boolean };
      lora: Record<string, number>;
      gpuMemory: { peakGiB: number; stepPeakGiB: number; samplePeakGiB: number };
    };
    expect(report.config.lora.alpha).toBe(32);
    // SD1.5, fp16, batch 1, 512 px, checkpointing, the text encoder off the GPU between refills: about 1.96 GiB
    // (bench/train_memory.py; an H100 measured 2.27 GiB with the text encoder still on the GPU)
    expect(report.gpuMemory.stepPeakGiB).toBeGreaterThan(1.8);
    expect(report.gpuMemory.stepPeakGiB).toBeLessThan(2.1);
    expect(report.gpuMemory.peakGiB).toBe(
      Math.max(report.gpuMemory.stepPeakGiB, report.gpuMemory.samplePeakGiB),
    );
    expect(report.config.compile).toBe(false); // torch.compile only when asked (--compile)
    expect(report.lora).toMatchObject({ modules: 128, trainableParams: 6_377_472 });
    expect(report).not.toHaveProperty('textEncoderLora');
  }, 180_000);

  it('turns --epochs into the steps the run trains, and fails on a missing dataset as the run does', async () => {
    const report = JSON.parse(await dryRun('--base', 'tiny', '--epochs', '2', '--json')) as {
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
      expect(dryRunStderr).toContain(`toonlora train: warning: ${warning}\n`);
    }
    expect(report.config).toMatchObject({ steps: 22, epochs: 2 });
    const launcher = new URL('../toonlora', import.meta.url).pathname;
    const missing = join(root, 'no-such-dataset');
    await expect(
      promisify(execFile)(launcher, ['train', missing, '--base', 'tiny', '--dry-run']),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining(`${missing}: dataset folder not found`),
    });
  }, 180_000);

  it('prints the misnamed-folder and both-caption-files warnings the run prints, and fails as it does on no readable image', async () => {
    const launcher = new URL('../toonlora', import.meta.url).pathname;
    const warned = join(root, 'dry-run-warnings');
    mkdirSync(join(warned, '2_sks girl'), { recursive: true });
    mkdirSync(join(warned, 'sks girl'));
    await writePattern(join(warned, '2_sks girl', 'a.png'), 0);
    writeFileSync(join(warned, '2_sks girl', 'a.txt'), 'sks, from txt');
    writeFileSync(join(warned, '2_sks girl', 'a.caption'), 'sks, from caption');
    await writePattern(join(warned, 'sks girl', 'b.png'), 1);
    const { stderr } = await promisify(execFile)(launcher, ['train', warned, '--base', 'tiny', '--dry-run']);
    expect(stderr).toContain(
      `toonlora train: warning: ${join(warned, 'sks girl')}: 1 image(s) not trained: the folder name is not ` +
        '`<repeats>_<trigger> <class>` (e.g. `10_sks girl`). Rename it to train them.\n',
    );
    expect(stderr).toContain(
      'toonlora train: warning: 1 image(s) have both a .txt and a .caption caption file ' +
        `(e.g. ${join(warned, '2_sks girl', 'a.caption')}): the .txt is used, the .caption is ignored. ` +
        'Delete the one you do not want.\n',
    );
    // no image that decodes: the run's input-invalid error, in the worker's words
    const broken = join(root, 'dry-run-broken');
    mkdirSync(join(broken, '3_sks girl'), { recursive: true });
    writeFileSync(join(broken, '3_sks girl', 'a.png'), 'not a png');
    await expect(
      promisify(execFile)(launcher, ['train', broken, '--base', 'tiny', '--dry-run']),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        new RegExp(`${broken}: no readable images, 1 could not be decoded: .*\\[TL_ERR_INPUT_INVALID\\]`),
      ),
    });
  }, 180_000);

  it('adds the text-encoder LoRA size with --train-text-encoder (48 modules, 2,359,296 parameters at r=32)', async () => {
    const stdout = await dryRun('--train-text-encoder', '--compile');
    expect(stdout).toContain('"compile": true');
    expect(stdout).toMatch(/^LoRA: 128 modules, 6,377,472 trainable parameters/m);
    expect(stdout).toMatch(/^text-encoder LoRA: 48 modules, 2,359,296 trainable parameters/m);
    expect(stdout).toMatch(
      /^estimated peak GPU memory: \d+\.\d\d GiB \(fp16, batch 1, 512 px, gradient checkpointing on, text-encoder LoRA;/m,
    );
    expect(stdout).toContain('the compiled step is not estimated');
  }, 180_000);
});

describe('toonlora train --events', () => {
  it('ends with an error line when the run fails, and refuses --events with --json', async () => {
    const launcher = new URL('../toonlora', import.meta.url).pathname;
    const missing = join(root, 'no-such-dataset');
    const failed = await promisify(execFile)(launcher, [
      'train',
      missing,
      '-o',
      join(root, 'r'),
      '--events',
    ]).catch((error: { code: number; stdout: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    const lines = failed.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(trainEventLineSchema.parse(JSON.parse(lines[0] ?? ''))).toMatchObject({
      type: 'error',
      error: { code: 'TL_ERR_INPUT_NOT_FOUND', message: expect.stringContaining(missing) },
    });
    await expect(
      promisify(execFile)(launcher, ['train', missing, '-o', join(root, 'r'), '--events', '--json']),
    ).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Give only one') });
  }, 180_000);

  it('prints a JSON line per progress and checkpoint event, then the --json document as the last line', async () => {
    const launcher = new URL('../toonlora', import.meta.url).pathname;
    const config = join(root, 'events.json');
    writeFileSync(
      config,
      JSON.stringify({
        training: { resolution: 64, lora: { rank: 4 }, checkpointEverySteps: 1, sampleEverySteps: 0 },
      }),
    );
    const run = join(root, 'events-run');
    const { stdout } = await promisify(execFile)(launcher, [
      'train',
      dataset,
      '-o',
      run,
      '--base',
      'tiny',
      '--steps',
      '2',
      '--config',
      config,
      '--events',
    ]);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => trainEventLineSchema.parse(JSON.parse(line)));
    expect(
      lines.map((l) => (l.type === 'progress' || l.type === 'checkpoint' ? `${l.type} ${l.step}` : l.type)),
    ).toEqual(['progress 1', 'checkpoint 1', 'progress 2', 'checkpoint 2', 'result']);
    expect(lines.at(-1)).toMatchObject({
      type: 'result',
      result: { status: 'done', steps: 2, kohyaFile: join(run, 'events-run.safetensors') },
    });
  }, 120_000);
});

// test/train-dry-run-e2e.test.ts — `toonlora train --dry-run` on the tiny dataset: the resolved config, the LoRA
// and text-encoder LoRA sizes and the GPU memory estimate, and the dataset warnings and refusals the run would give.
// (Its plan against a real run's warnings is in train-tiny-run-e2e.test.ts.) Helpers in helpers/tiny-training.ts.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { dryRun, execFileAsync, launcher, writePattern, writeTinyDataset } from './helpers/tiny-training.js';

const root = mkdtempSync(join(tmpdir(), 'tl-train-dry-run-e2e-'));
const dataset = join(root, 'dataset');

beforeAll(() => writeTinyDataset(dataset));

describe('toonlora train --dry-run', () => {
  it('prints the resolved config and the real SD1.5 LoRA size (128 modules, ~6.4 M parameters)', async () => {
    const report = JSON.parse((await dryRun(dataset, '--rank', '32', '--json')).stdout) as {
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

  it('prints the misnamed-folder and both-caption-files warnings the run prints, and fails as it does on no readable image', async () => {
    const warned = join(root, 'dry-run-warnings');
    mkdirSync(join(warned, '2_sks girl'), { recursive: true });
    mkdirSync(join(warned, 'sks girl'));
    await writePattern(join(warned, '2_sks girl', 'a.png'), 0);
    writeFileSync(join(warned, '2_sks girl', 'a.txt'), 'sks, from txt');
    writeFileSync(join(warned, '2_sks girl', 'a.caption'), 'sks, from caption');
    await writePattern(join(warned, 'sks girl', 'b.png'), 1);
    const { stderr } = await execFileAsync(launcher, ['train', warned, '--base', 'tiny', '--dry-run']);
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
      execFileAsync(launcher, ['train', broken, '--base', 'tiny', '--dry-run']),
    ).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        new RegExp(`${broken}: no readable images, 1 could not be decoded: .*\\[TL_ERR_INPUT_INVALID\\]`),
      ),
    });
  }, 180_000);

  it('warns about an -o inside the dataset folder as the real run does', async () => {
    // before: only the real run warned; the dry run said nothing about -o
    const { stderr } = await execFileAsync(launcher, [
      'train',
      dataset,
      '--base',
      'tiny',
      '--steps',
      '2',
      '--dry-run',
      '-o',
      join(dataset, 'run'),
    ]);
    expect(stderr).toContain(
      `toonlora train: warning: ${join(dataset, 'run')}: the run folder is inside the dataset folder ${dataset}`,
    );
  }, 180_000);

  it('adds the text-encoder LoRA size with --train-text-encoder (48 modules, 2,359,296 parameters at r=32)', async () => {
    const { stdout } = await dryRun(dataset, '--train-text-encoder', '--compile');
    expect(stdout).toContain('"compile": true');
    expect(stdout).toMatch(/^LoRA: 128 modules, 6,377,472 trainable parameters/m);
    expect(stdout).toMatch(/^text-encoder LoRA: 48 modules, 2,359,296 trainable parameters/m);
    expect(stdout).toMatch(
      /^estimated peak GPU memory: \d+\.\d\d GiB \(fp16, batch 1, 512 px, gradient checkpointing on, text-encoder LoRA;/m,
    );
    expect(stdout).toContain('the compiled step is not estimated');
  }, 180_000);

  it('says the CPU thread count a CPU run uses, and refuses a bad TOONLORA_CPU_THREADS before the worker', async () => {
    // before: the dry run did not say it, and a bad variable was only reported after the run loaded the base
    // the worker's own choice: neither variable set (a CI may set them)
    const { TOONLORA_CPU_THREADS: _set, OMP_NUM_THREADS: _omp, ...unset } = process.env;
    const tiny = await execFileAsync(launcher, ['train', dataset, '--base', 'tiny', '--dry-run'], {
      env: unset,
    });
    expect(tiny.stdout).toContain(
      'CPU threads (a run on the CPU): 1 (a UNet under 100M parameters gains nothing',
    );
    const env = { ...process.env, TOONLORA_CPU_THREADS: '3' };
    const set = await execFileAsync(launcher, ['train', dataset, '--base', 'tiny', '--dry-run', '--json'], {
      env,
    });
    expect(JSON.parse(set.stdout).cpuThreads).toEqual({
      threads: 3,
      source: 'env',
      text: '3 (TOONLORA_CPU_THREADS)',
    });
    // named before the base is checked (a missing base file here) and before the worker starts
    const bad = { ...process.env, TOONLORA_CPU_THREADS: '1.5' };
    await expect(
      execFileAsync(
        launcher,
        [
          'train',
          dataset,
          '--base',
          join(root, 'no-such-base.safetensors'),
          '-o',
          join(root, 'never'),
          '--steps',
          '2',
        ],
        {
          env: bad,
        },
      ),
    ).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        'toonlora train: TOONLORA_CPU_THREADS: expected a positive whole number of CPU threads, got "1.5".',
      ),
    });
  }, 180_000);
});

// Tests of `toonlora doctor --json` through the CLI entry: valid JSON matching the report schema.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { doctorReportSchema } from '../../env/doctor.js';
import { withCliTestIo } from '../cli-test-io.js';
import { runCli } from '../program.js';
import { doctorVerdict, formatTrainingMemory } from './doctor.js';

const io = withCliTestIo('toonlora-cli-doctor-');

describe('toonlora doctor', () => {
  it('--json prints a valid report and exits 1 without a venv (an essential)', async () => {
    expect(await runCli(['doctor', '--json', '--venv', join(io.root, 'venv')])).toBe(1);
    const report = doctorReportSchema.parse(JSON.parse(io.stdout));
    expect(report.ok).toBe(false);
    expect(report.python.venvExists).toBe(false);
    expect(report.torch.status).toBe('missing');
    expect(report.models.find((m) => m.id === 'paddleocr-det-v4')?.present).toBe(true);
  });

  it('says on its last line which essentials are missing, and exits 1', async () => {
    expect(await runCli(['doctor', '--venv', join(io.root, 'venv')])).toBe(1);
    const last = io.stdout.trimEnd().split('\n').at(-1);
    expect(last).toMatch(/^doctor: essentials missing or broken: (venv|python)\b.*; exit 1$/);
  });

  it('lists the .corrupt copies models pull left, with their sizes', async () => {
    const copy = join(io.root, 'tl', 'models', 'lama', 'lama_fp32.onnx.corrupt');
    mkdirSync(join(copy, '..'), { recursive: true });
    writeFileSync(copy, Buffer.alloc(2048));
    await runCli(['doctor', '--venv', join(io.root, 'venv')]);
    expect(io.stdout).toContain(
      `corrupt copies (bad files models pull moved aside; safe to delete)\n    2.0 kB  ${copy}\n`,
    );
    expect(io.stdout).toContain(
      '1 corrupted model file moved aside by models pull (2.0 kB, listed above): nothing; they only take disk space',
    );
  });

  it('exits 0 when only optional pieces (models, GPU) are missing, and counts every piece it lists', () => {
    // before: a missing model and no GPU, both listed, ended "1 optional piece missing"
    const optional = [
      { piece: 'lama', severity: 'missing' as const, detail: 'lama not downloaded', blocks: 'x' },
      { piece: 'gpu', severity: 'warn' as const, detail: 'no GPU', blocks: 'y' },
    ];
    expect(doctorVerdict({ problems: optional })).toBe(
      'doctor: essentials ok; 2 optional pieces missing or weak (see above)',
    );
    expect(doctorVerdict({ problems: [] })).toBe('doctor: essentials ok');
  });

  it('prints the real default LoRA size from the SD1.5 config when the venv works, and exits 0', async () => {
    const venv = fileURLToPath(new URL('../../../trainer/.venv', import.meta.url));
    expect(await runCli(['doctor', '--venv', venv])).toBe(0); // models missing: optional
    expect(io.stdout).toMatch(
      /\ndoctor: essentials ok; \d+ optional pieces? missing or weak \(see above\)\n$/,
    );
    expect(io.stdout).toContain(
      'lora      default r=32: 128 modules, 6,377,472 trainable parameters (SD1.5 UNet config (no weights loaded))',
    );
  }, 60_000);

  it('says per GPU whether a default training run fits (estimate + CUDA context)', () => {
    const estimate = {
      peakGiB: 2.98,
      stepPeakGiB: 1.96,
      samplePeakGiB: 2.98,
      residentGiB: 1.62,
      cudaContextGiB: 0.75, // the worker's figure (memory_estimate.py), not one of this side's
      estimatedOn: 'SD1.5',
    };
    const lines = formatTrainingMemory(estimate, [
      { name: 'NVIDIA GeForce RTX 3060', memoryBytes: 12 * 2 ** 30 },
      { name: 'NVIDIA GeForce GTX 1050', memoryBytes: 3 * 2 ** 30 },
    ]);
    expect(lines[0]).toBe(
      'memory    a default training run needs ~3.7 GiB of GPU memory (estimated peak 2.98 GiB + ~0.75 GiB CUDA context)',
    );
    expect(lines[1]).toBe('          fits NVIDIA GeForce RTX 3060 (12.0 GiB)');
    expect(lines[2]).toMatch(/^ {10}more than NVIDIA GeForce GTX 1050 has \(3\.0 GiB\): lower batchSize/);
  });
});

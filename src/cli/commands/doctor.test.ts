// Tests of `toonlora doctor --json` through the CLI entry: valid JSON matching the report schema.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { doctorReportSchema } from '../../env/doctor.js';
import { runCli } from '../program.js';

const saved = { ...process.env };
afterEach(() => {
  vi.restoreAllMocks();
  process.env = { ...saved };
  process.exitCode = undefined;
});

describe('toonlora doctor', () => {
  it('--json prints a valid report and exits 0 even without a venv', async () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-cli-doctor-'));
    process.env.TOONLORA_HOME = join(root, 'home');
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    try {
      expect(await runCli(['doctor', '--json', '--venv', join(root, 'venv')])).toBe(0);
      const report = doctorReportSchema.parse(JSON.parse(stdout));
      expect(report.python.venvExists).toBe(false);
      expect(report.torch.status).toBe('missing');
      expect(report.models.find((m) => m.id === 'paddleocr-det-v4')?.present).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('prints the real default LoRA size from the SD1.5 config when the venv works', async () => {
    const venv = fileURLToPath(new URL('../../../trainer/.venv', import.meta.url));
    const root = mkdtempSync(join(tmpdir(), 'toonlora-cli-doctor-'));
    process.env.TOONLORA_HOME = join(root, 'home');
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout += String(chunk);
      return true;
    });
    try {
      expect(await runCli(['doctor', '--venv', venv])).toBe(0);
      expect(stdout).toContain(
        'lora      default r=32: 128 modules, 6,377,472 trainable parameters (SD1.5 UNet config (no weights loaded))',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});

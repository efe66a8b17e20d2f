// Tests of `toonlora doctor --json` through the CLI entry: valid JSON matching the report schema.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
});

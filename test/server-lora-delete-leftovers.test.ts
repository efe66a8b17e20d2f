// test/server-lora-delete-leftovers.test.ts — DELETE /api/loras/:id when a file cannot be removed (made immutable
// with `chattr +i`, which stops root too): the row is gone, so the reply is the 204 of a done delete, every other
// file is removed, and the server log names the file that stays and why. Before, the reply was a 500 although the
// LoRA was gone, the files after the failing one stayed, and nothing said which.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { appWithLog } from './helpers/logged-app.js';
import { RUN_WEIGHT_FILES, trainedLora } from './helpers/trained-lora.js';

/** Whether `chattr +i` works here (root on a file system with the attribute): else the test says why it skips. */
function chattrWorks(): boolean {
  const folder = mkdtempSync(join(tmpdir(), 'chattr-probe-'));
  const probe = join(folder, 'f');
  writeFileSync(probe, 'x');
  try {
    execFileSync('chattr', ['+i', probe], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

const immutable: string[] = [];
const open: FastifyInstance[] = [];
afterEach(async () => {
  for (const path of immutable.splice(0)) execFileSync('chattr', ['-i', path]);
  for (const app of open.splice(0)) await app.close();
});

describe.skipIf(!chattrWorks())(
  'DELETE /api/loras/:id with a file that cannot be removed (chattr +i)',
  () => {
    it('answers 204, removes the rest and logs the file that stays by path', async () => {
      const { app, lines } = await appWithLog('lora-delete-leftovers', open);
      const { characterId, lora, file, runDir } = await trainedLora(app, 'Mina', { runFiles: true });
      execFileSync('chattr', ['+i', file]);
      immutable.push(file);
      const res = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
      expect(res.statusCode, res.body).toBe(204);
      expect(app.catalog.listArtifacts({ characterId, kind: 'lora' })).toEqual([]);
      expect(existsSync(file)).toBe(true);
      for (const name of [...RUN_WEIGHT_FILES, 'mina.fp16.safetensors'])
        expect(existsSync(join(runDir, name)), name).toBe(false);
      const warnings = lines.filter((line) => line.loraId === lora.id);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.msg).toBe(
        `LoRA mina (${lora.id}) was deleted, but this file stays on disk: ${file} (EPERM: operation not permitted, ` +
          `unlink '${file}'). Remove it by hand.`,
      );
      expect(warnings[0]?.leftovers).toEqual([
        { path: file, error: `EPERM: operation not permitted, unlink '${file}'` },
      ]);
    });

    it('answers 204 when a checkpoint file cannot be removed, and logs its folder', async () => {
      const { app, lines } = await appWithLog('lora-delete-leftovers', open);
      const { lora, file, runDir } = await trainedLora(app, 'Mina', { runFiles: true });
      const stuck = join(runDir, 'checkpoints', 'step-000010', 'adapter_model.safetensors');
      execFileSync('chattr', ['+i', stuck]);
      immutable.push(stuck);
      const res = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
      expect(res.statusCode, res.body).toBe(204);
      expect(existsSync(file)).toBe(false);
      expect(existsSync(stuck)).toBe(true);
      const warnings = lines.filter((line) => line.loraId === lora.id);
      const paths = warnings.map((w) => (w.leftovers as Array<{ path: string }>).map((l) => l.path));
      expect(paths).toEqual([[join(runDir, 'checkpoints')]]);
    });
  },
);

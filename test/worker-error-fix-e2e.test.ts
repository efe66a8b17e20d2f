// test/worker-error-fix-e2e.test.ts — the Python worker's error names its fix as data (`fix` in its error event), and
// the same error reads in the CLI's words (as before fixes were data) and in the web app's, with no wording matched.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isToonloraError } from '../src/errors.js';
import { webMessage } from '../src/jobs/job-error-hints.js';
import { trainingConfigSchema } from '../src/schemas/config.js';
import { runWorker } from '../src/worker/python-worker.js';
import { buildTrainRequest } from '../src/worker/train.js';
import { writeTinyDataset } from './helpers/tiny-training.js';

const scratch = mkdtempSync(join(tmpdir(), 'tl-worker-fix-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("a worker error's fix", () => {
  it('a single-file base that is not there: "Check the --base path" on the CLI, the Base model field on the web', async () => {
    const dataset = join(scratch, 'dataset');
    await writeTinyDataset(dataset);
    const base = join(scratch, 'gone.safetensors');
    const config = trainingConfigSchema.parse({ baseModel: base, steps: 1 });
    // runWorker straight away: runTraining's own base check would refuse the path before any worker starts
    const request = buildTrainRequest({ datasetDir: dataset, runDir: join(scratch, 'run'), config });
    const error = await runWorker({ request }).catch((e: unknown) => e);
    if (!isToonloraError(error)) throw error;
    expect(error.code).toBe('TL_ERR_INPUT_NOT_FOUND');
    expect(error.fix).toEqual({ kind: 'choose-base', why: 'file' });
    expect(error.message).toBe(
      `${base}: base checkpoint file not found. Check the --base path (a .safetensors file, a HF id or tiny).`,
    );
    expect(webMessage(error)).toBe(
      `${base}: base checkpoint file not found. Choose another Base model in the form, or pull it again on the Models page.`,
    );
  }, 180_000);
});

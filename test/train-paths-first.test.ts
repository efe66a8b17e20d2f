// test/train-paths-first.test.ts — `train` checks the user's own paths before the base model: a missing -o, an -o
// that is a file, and a run folder that already holds a trained LoRA are named even when the base (anything-v5, not
// pulled here) is missing too, in runTraining's words (checkTrainingPaths, the one check of them). Before, the base's
// "models pull anything-v5" error came first and hid them (a missing -o was named only after the Python setup).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyModelHomes } from './helpers/empty-model-homes.js';
import { runToonlora } from './helpers/run-cli.js';

const { root, env } = emptyModelHomes('tl-train-paths-');

const dataset = join(root, 'dataset');
mkdirSync(join(dataset, '2_sks girl'), { recursive: true });
writeFileSync(join(dataset, '2_sks girl', 'a.txt'), 'sks, girl');

const train = (args: string[]) =>
  runToonlora(['train', dataset, '--base', 'anything-v5', ...args], { env, cwd: root, timeout: 120_000 });

describe('train names its paths before a base that is not pulled', () => {
  it('a missing -o, an -o that is a file, and a run folder holding a trained LoRA', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, '');
    const done = join(root, 'done-run');
    mkdirSync(done);
    writeFileSync(join(done, 'adapter_model.safetensors'), '');
    const [noOutput, aFile, trained] = await Promise.all([
      train([]),
      train(['-o', file]),
      train(['-o', done]),
    ]);
    expect(noOutput).toMatchObject({
      code: 2,
      stderr:
        'toonlora train: -o, --output <run-dir> is required: the folder the LoRA is written to. [TL_ERR_USAGE]\n',
    });
    expect(aFile?.code).toBe(2);
    expect(aFile?.stderr).toMatch(/^toonlora train: .*a-file.*\[TL_ERR_USAGE\]\n$/);
    expect(trained).toMatchObject({
      code: 1,
      stderr: `toonlora train: ${done}: already holds a trained LoRA. Add --resume to continue it, or choose another -o. [TL_ERR_OUTPUT_EXISTS]\n`,
    });
  }, 180_000);

  it('a good dataset and run folder still get the base refusal', async () => {
    const run = await train(['-o', join(root, 'new-run')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Run `toonlora models pull anything-v5` first');
  }, 120_000);
});

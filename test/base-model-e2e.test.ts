// test/base-model-e2e.test.ts — a base model placed by hand where `models pull` says to put it offline
// (TOONLORA_HOME/models/anything-v5/) is the one `train` loads, by its registry id or its Hub id; the run
// records the name the user gave in the kohya file. The "weights" are the tiny base saved in diffusers layout.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../src/lora/safetensors-read.js';
import { resolveWorkerPython, TRAINER_DIR } from '../src/worker/python-worker.js';
import { runToonlora } from './helpers/run-cli.js';

const run = promisify(execFile);
const root = mkdtempSync(join(tmpdir(), 'tl-base-e2e-'));
const home = join(root, 'toonlora-home');
const placed = join(home, 'models', 'anything-v5');
const env = { ...process.env, TOONLORA_HOME: home, HF_HOME: join(root, 'hf') };

const SAVE_TINY_BASE = `
import json, sys
from toonlora_trainer.models import build_tiny_base_model
base, out = build_tiny_base_model(), sys.argv[1]
for name, part in [("unet", base.unet), ("vae", base.vae), ("text_encoder", base.text_encoder),
                   ("tokenizer", base.tokenizer), ("scheduler", base.noise_scheduler)]:
    part.save_pretrained(f"{out}/{name}")
json.dump(base.tokenizer.get_vocab(), open(f"{out}/tokenizer/vocab.json", "w"))  # a real repo has it; the registry checks it
json.dump({"_class_name": "StableDiffusionPipeline"}, open(f"{out}/model_index.json", "w"))
`;

const toonlora = (args: string[]) => runToonlora(args, { env, timeout: 150_000 });

beforeAll(async () => {
  await run(resolveWorkerPython(), ['-c', SAVE_TINY_BASE, placed], {
    env: { ...env, PYTHONPATH: TRAINER_DIR },
  });
  const folder = join(root, 'dataset', '3_sks pattern');
  mkdirSync(folder, { recursive: true });
  const pixels = Buffer.alloc(64 * 64 * 3, 0).map((_, i) => ((i >> 4) % 2 ? 220 : 30));
  await sharp(pixels, { raw: { width: 64, height: 64, channels: 3 } })
    .png()
    .toFile(join(folder, 'a.png'));
  writeFileSync(join(folder, 'a.txt'), 'sks, striped pattern');
  writeFileSync(
    join(root, 'small.toml'),
    '[training]\nresolution = 64\nsampleEverySteps = 0\ncheckpointEverySteps = 0\n',
  );
}, 120_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a hand-placed registry base', () => {
  it('is present for `models list`', async () => {
    const listed = await toonlora(['models', 'list', '--json']);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as { id: string; present: boolean; path?: string }[];
    expect(rows.find((row) => row.id === 'anything-v5')).toMatchObject({ present: true, path: placed });
  });

  /** A one-step rank-2 `train --json` of the dataset on `base` into `out`. */
  const smallRun = (base: string, out: string) => [
    'train',
    join(root, 'dataset'),
    '-o',
    out,
    '--base',
    base,
    '--steps',
    '1',
    '--rank',
    '2',
    '--config',
    join(root, 'small.toml'),
    '--json',
  ];

  it('is what `train --base anything-v5` loads, and the kohya file names it as given', async () => {
    const runDir = join(root, 'run');
    // -o relative: the --json result names it absolute, as it names the adapter
    const trained = await runToonlora(smallRun('anything-v5', 'run'), { env, timeout: 150_000, cwd: root });
    expect(trained.code, trained.stderr).toBe(0);
    expect(JSON.parse(trained.stdout)).toMatchObject({ runDir, kohyaFile: join(runDir, 'run.safetensors') });
    // the adapter names the base by its folder's name, never the user's path (a shared adapter_config.json leaked it)
    const adapterConfig = JSON.parse(readFileSync(join(runDir, 'adapter_config.json'), 'utf8'));
    expect(adapterConfig.base_model_name_or_path).toBe('anything-v5');
    expect(JSON.stringify(adapterConfig)).not.toContain(root);
    const kohya = await openSafetensors(join(runDir, 'run.safetensors'));
    try {
      expect(kohya.header.metadata.ss_sd_model_name).toBe('anything-v5');
    } finally {
      await kohya.close();
    }
  }, 150_000);
  // The worker runs in trainer/: a relative TOONLORA_HOME / HF_HOME must name the folders `models list` sees
  // (it named trainer/<path>, and the error offered `hf download <path>`).

  it('is found by the worker through a relative TOONLORA_HOME', async () => {
    const relEnv = { ...env, TOONLORA_HOME: 'toonlora-home' };
    const listed = await runToonlora(['models', 'path', 'anything-v5'], { env: relEnv, cwd: root });
    expect(listed.stdout.trim()).toBe(placed);
    const trained = await runToonlora(smallRun('anything-v5', 'run-relhome'), {
      env: relEnv,
      timeout: 150_000,
      cwd: root,
    });
    // the base exists only at `placed`: a run that succeeds loaded it there (a worker resolving the relative home
    // under trainer/ found nothing and failed)
    expect(trained.code, trained.stdout + trained.stderr).toBe(0);
    const adapterConfig = JSON.parse(readFileSync(join(root, 'run-relhome', 'adapter_config.json'), 'utf8'));
    expect(adapterConfig.base_model_name_or_path).toBe('anything-v5');
  }, 150_000);

  it('a Hub-id base in a relative HF_HOME is what the worker opens', async () => {
    const repo = join(root, 'relhf', 'hub', 'models--someone--tiny-sd');
    cpSync(placed, join(repo, 'snapshots', 'c'.repeat(40)), { recursive: true });
    mkdirSync(join(repo, 'refs'));
    writeFileSync(join(repo, 'refs', 'main'), 'c'.repeat(40));
    const trained = await runToonlora(smallRun('someone/tiny-sd', 'run-relhf'), {
      env: { ...env, HF_HOME: 'relhf' },
      timeout: 150_000,
      cwd: root,
    });
    expect(trained.code, trained.stdout + trained.stderr).toBe(0);
    expect(JSON.parse(trained.stdout)).toMatchObject({ runDir: join(root, 'run-relhf') });
  }, 150_000);
});

// src/worker/kohya-file-base.test.ts — a run on a Hub base named at a tag (`owner/name@v1.0`) writes a kohya file
// whose ss_sd_model_name is the commit the worker was handed (`owner/name@<commit>`), which `inspect` prints: it
// recorded the tag as typed, which says nothing once the tag moves. A stand-in worker answers `done`.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectLora } from '../lora/inspect.js';
import { formatInspection } from '../lora/inspect-text.js';
import { makePeftTensors, writePeftFolder } from '../lora/lora-fixtures.js';
import { sd15AttentionModules } from '../lora/sd15-modules.js';
import { writeSd15Snapshot } from '../models/sd15-testing.js';
import { trainingConfigSchema } from '../schemas/config.js';
import { doneWorker } from './done-worker-testing.js';
import { runTraining } from './train.js';

const REPO = 'someone/toon-sd15';
const COMMIT = 'e'.repeat(40);
const savedHfHome = process.env.HF_HOME;
afterEach(() => {
  if (savedHfHome === undefined) delete process.env.HF_HOME;
  else process.env.HF_HOME = savedHfHome;
});

describe('the kohya file of a run on owner/name@v1.0', () => {
  it('names the commit the tag pointed at, and inspect prints it', async () => {
    const hfHome = mkdtempSync(join(tmpdir(), 'tl-kohya-base-hf-'));
    const repoDir = join(hfHome, 'hub', 'models--someone--toon-sd15');
    writeSd15Snapshot(join(repoDir, 'snapshots', COMMIT));
    writeFileSync(join(repoDir, 'refs', 'v1.0'), COMMIT);
    process.env.HF_HOME = hfHome;
    const datasetDir = mkdtempSync(join(tmpdir(), 'tl-kohya-base-ds-'));
    mkdirSync(join(datasetDir, '1_sks girl'));
    const runDir = mkdtempSync(join(tmpdir(), 'tl-kohya-base-run-'));
    const modules = sd15AttentionModules().filter((m) => m.startsWith('mid_block.'));
    const adapterDir = mkdtempSync(join(tmpdir(), 'tl-kohya-base-adapter-'));
    await writePeftFolder(adapterDir, makePeftTensors({ modules, rank: 4, seed: 1 }), {
      r: 4,
      lora_alpha: 4,
    });
    const result = await runTraining({
      datasetDir,
      runDir,
      config: trainingConfigSchema.parse({ baseModel: `${REPO}@v1.0`, steps: 8 }),
      spawn: doneWorker(adapterDir, runDir, 8),
    });
    const inspected = await inspectLora(result.kohyaFile as string);
    expect(inspected.metadata.ss_sd_model_name).toBe(`${REPO}@${COMMIT}`);
    expect(formatInspection(inspected)).toContain(`base model: ${REPO}@${COMMIT}`);
  }, 60_000);
});

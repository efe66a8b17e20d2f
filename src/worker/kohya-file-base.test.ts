// src/worker/kohya-file-base.test.ts — a run on a Hub base named at a tag (`owner/name@v1.0`) writes a kohya file
// whose ss_sd_model_name is the commit the worker was handed (`owner/name@<commit>`), which `inspect` prints: it
// recorded the tag as typed, which says nothing once the tag moves. A stand-in worker answers `done`.
import { createHash } from 'node:crypto';
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
import type { WorkerEvent } from './protocol.js';
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

describe('the kohya file of a run on a local .safetensors base', () => {
  it("names the file, never its path (was /…/alice/models/…), with kohya's two hashes of it, hashed once with a notice", async () => {
    const home = mkdtempSync(join(tmpdir(), 'tl-kohya-base-alice-'));
    mkdirSync(join(home, 'models'));
    const base = join(home, 'models', 'myAnimeMix_v3.safetensors');
    const bytes = Buffer.alloc(0x120000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 9)) & 0xff;
    writeFileSync(base, bytes);
    const datasetDir = mkdtempSync(join(tmpdir(), 'tl-kohya-base-ds-'));
    mkdirSync(join(datasetDir, '1_sks girl'));
    const runDir = mkdtempSync(join(tmpdir(), 'tl-kohya-base-run-'));
    const modules = sd15AttentionModules().filter((m) => m.startsWith('mid_block.'));
    const adapterDir = mkdtempSync(join(tmpdir(), 'tl-kohya-base-adapter-'));
    await writePeftFolder(adapterDir, makePeftTensors({ modules, rank: 4, seed: 1 }), {
      r: 4,
      lora_alpha: 4,
    });
    const events: WorkerEvent[] = [];
    const result = await runTraining({
      datasetDir,
      runDir,
      config: trainingConfigSchema.parse({ baseModel: base, steps: 8 }),
      spawn: doneWorker(adapterDir, runDir, 8),
      onEvent: (event) => events.push(event),
    });
    const { metadata } = await inspectLora(result.kohyaFile as string);
    expect(metadata.ss_sd_model_name).toBe('myAnimeMix_v3.safetensors');
    expect(metadata.ss_new_sd_model_hash).toBe(createHash('sha256').update(bytes).digest('hex'));
    const legacy = createHash('sha256').update(bytes.subarray(0x100000, 0x110000)).digest('hex').slice(0, 8);
    expect(metadata.ss_sd_model_hash).toBe(legacy);
    expect(JSON.stringify(metadata)).not.toContain(home);
    const hashing = events.filter((e) => e.type === 'log' && e.message.startsWith('hashing the base'));
    expect(hashing).toHaveLength(1);
  }, 60_000);
});

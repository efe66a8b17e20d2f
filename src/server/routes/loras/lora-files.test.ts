// src/server/routes/loras/lora-files.test.ts — which folder is a trained LoRA's run folder (only
// <data>/jobs/<jobId>/<name>/, never for an uploaded LoRA or a file elsewhere), which run files are its weights, and
// a removal that goes on past a path it cannot remove and says which stay.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removePaths, runWeightPaths, trainRunFolder } from './lora-files.js';

describe('trainRunFolder', () => {
  const data = '/srv/data';
  it('is the folder of a trained LoRA’s file in its job’s folder', () => {
    expect(trainRunFolder(data, 'j1', '/srv/data/jobs/j1/mina_j1/mina_j1.safetensors')).toBe(
      '/srv/data/jobs/j1/mina_j1',
    );
  });

  it('is null for an uploaded LoRA, a file in another job’s folder, the job folder itself or deeper', () => {
    expect(trainRunFolder(data, null, '/srv/data/characters/c1/loras/x.safetensors')).toBeNull();
    expect(trainRunFolder(data, 'j1', '/srv/data/characters/c1/loras/x.safetensors')).toBeNull();
    expect(trainRunFolder(data, 'j1', '/srv/data/jobs/j2/mina/mina.safetensors')).toBeNull();
    expect(trainRunFolder(data, 'j1', '/srv/data/jobs/j1/mina.safetensors')).toBeNull();
    expect(trainRunFolder(data, 'j1', '/srv/data/jobs/j1/a/b/mina.safetensors')).toBeNull();
    expect(trainRunFolder(data, 'j1', '/srv/data/jobs/j1/../j2/mina.safetensors')).toBeNull();
    expect(trainRunFolder(data, 'j1', '/elsewhere/mina/mina.safetensors')).toBeNull();
  });
});

describe('runWeightPaths', () => {
  it('names the adapters, the checkpoints and the worker checkpoint zips, not samples or other files', async () => {
    const run = mkdtempSync(join(tmpdir(), 'run-weights-'));
    for (const name of [
      'worker-checkpoint-step-000010.zip',
      '.worker-checkpoint-abc.partial',
      'samples',
      'image_hashes.json',
      'worker-checkpoint-notes.zip',
    ])
      writeFileSync(join(run, name), 'x');
    expect(await runWeightPaths(run)).toEqual(
      [
        'adapter_model.safetensors',
        'adapter_config.json',
        'text_encoder',
        'checkpoints',
        '.worker-checkpoint-abc.partial',
        'worker-checkpoint-step-000010.zip',
      ].map((name) => join(run, name)),
    );
  });
});

describe('removePaths', () => {
  it('tries every path past a failure and returns the ones that stay, with why', async () => {
    const tried: string[] = [];
    const leftovers = await removePaths(['/a', '/b', '/c'], async (path) => {
      tried.push(path);
      if (path === '/b') throw new Error("EPERM: operation not permitted, unlink '/b'");
    });
    expect(tried).toEqual(['/a', '/b', '/c']);
    expect(leftovers).toEqual([{ path: '/b', error: "EPERM: operation not permitted, unlink '/b'" }]);
  });
});

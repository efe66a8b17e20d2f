// src/jobs/remote/remote-run-name.test.ts — a remote train job's run name: the one its recorded checkpoint names (a
// resume after the character was renamed keeps it), unless only the current name's server folder holds the kept
// checkpoint (a worker path laid out otherwise).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobRelDir } from '../data-layout.js';
import { remoteRunName } from './remote-run-name.js';

const ID = '3f2a9c1d-0000-4000-8000-000000000000';

/** A data folder whose run folder `name` of job ID keeps a checkpoint zip (when `name` is given). */
function dataWithKept(name?: string): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-remote-run-name-'));
  if (name) {
    mkdirSync(join(dataDir, jobRelDir(ID), name), { recursive: true });
    writeFileSync(join(dataDir, jobRelDir(ID), name, 'worker-checkpoint-step-000010.zip'), 'zip');
  }
  return dataDir;
}

describe('remoteRunName', () => {
  const renamed = { id: ID, checkpoint: `gpu-a:${ID}/mina_3f2a9c1d/checkpoints/step-000010` };
  it('keeps the name the run started with after a rename, kept checkpoint or not', async () => {
    expect(await remoteRunName(dataWithKept('mina_3f2a9c1d'), renamed, 'Mina Park')).toBe('mina_3f2a9c1d');
    expect(await remoteRunName(dataWithKept(), renamed, 'Mina Park')).toBe('mina_3f2a9c1d');
  });
  it('takes the current name when only its folder keeps the checkpoint, or nothing is recorded', async () => {
    const elsewhere = { id: ID, checkpoint: `gpu-a:${ID}/run/checkpoints/step-000010` };
    expect(await remoteRunName(dataWithKept('mina_3f2a9c1d'), elsewhere, 'Mina')).toBe('mina_3f2a9c1d');
    expect(await remoteRunName(dataWithKept(), { id: ID, checkpoint: null }, 'Mina Park')).toBe(
      'mina_park_3f2a9c1d',
    );
  });
});

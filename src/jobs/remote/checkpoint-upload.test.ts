// src/jobs/remote/checkpoint-upload.test.ts — a remote run's checkpoint uploads: a failed one is reported once and
// the next checkpoint is uploaded as usual; a checkpoint saved while one uploads waits, a newer one replaces it;
// a lost lease is passed on; cancel drops what waits.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { CheckpointUploader } from './checkpoint-upload.js';
import { LeaseLostError } from './worker-client.js';

/** A run folder with checkpoint folders of `steps` (adapter and training state each). */
function runWith(steps: number[]): (step: number) => string {
  const root = mkdtempSync(join(tmpdir(), 'tl-upload-'));
  const folder = (step: number) => join(root, `step-${String(step).padStart(6, '0')}`);
  for (const step of steps) {
    mkdirSync(folder(step));
    writeFileSync(join(folder(step), 'adapter_model.safetensors'), Buffer.alloc(64, step));
    writeFileSync(join(folder(step), 'training_state.pt'), Buffer.alloc(32, step));
  }
  return folder;
}

describe('CheckpointUploader', () => {
  it('reports a failed upload once and uploads the next checkpoint; a newer one waiting replaces the older', async () => {
    const folder = runWith([2, 4, 6, 8]);
    const sent: Array<{ step: number; bytes: number }> = [];
    const failed: string[] = [];
    let release = () => {};
    const uploader = new CheckpointUploader({
      upload: async (step, zip) => {
        const bytes = (await buffer(zip.stream)).length;
        expect(bytes).toBe(zip.bytes);
        if (step === 2) throw new Error('cannot reach http://h:7860 (ECONNREFUSED)');
        if (step === 4) await new Promise<void>((resolve) => (release = resolve));
        sent.push({ step, bytes });
      },
      onFailed: (step, why) => failed.push(`${step}: ${why}`),
      onLost: () => failed.push('lost'),
    });
    uploader.offer(2, folder(2));
    await uploader.settled();
    expect(failed).toEqual(['2: cannot reach http://h:7860 (ECONNREFUSED)']);
    uploader.offer(4, folder(4)); // held until released
    await new Promise((resolve) => setTimeout(resolve, 50));
    uploader.offer(6, folder(6));
    uploader.offer(8, folder(8)); // replaces 6, which never started
    release();
    await uploader.settled();
    expect(sent.map((s) => s.step)).toEqual([4, 8]);
    expect(failed).toHaveLength(1);
  });

  it('passes a lost lease on, and a cancel drops the checkpoint waiting', async () => {
    const folder = runWith([2, 4]);
    const lost: string[] = [];
    const uploader = new CheckpointUploader({
      upload: async () => {
        throw new LeaseLostError('lease x is not held');
      },
      onFailed: () => lost.push('failed'),
      onLost: (error) => lost.push(error.message),
    });
    uploader.offer(2, folder(2));
    await uploader.settled();
    expect(lost).toEqual(['lease x is not held']);
    const calls: number[] = [];
    const cancelled = new CheckpointUploader({
      upload: async (step) => {
        calls.push(step);
      },
      onFailed: () => {},
      onLost: () => {},
    });
    cancelled.cancel();
    cancelled.offer(4, folder(4));
    await cancelled.settled();
    expect(calls).toEqual([]);
  });
});

// src/jobs/remote/lora-upload.test.ts — the file a remote worker's LoRA upload is received into, left by a server
// killed mid-upload: the start's sweep (removeStartUploadLeftovers) removes it from the run folders of the jobs the
// database lists, and says so in one line; anything else in a run folder, a job folder the database does not list, a
// link and a file newer than the start stay. Before, such a file stayed for good.
import { randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCharacter } from '../catalog/characters.js';
import { jobRelDir } from '../data-layout.js';
import { openDatabase } from '../database.js';
import { JobStore } from '../job-store.js';
import { removeStartUploadLeftovers } from '../upload-leftovers.js';
import { receiveLora } from './lora-upload.js';

const HOUR_MS = 3_600_000;

/** Writes `bytes` bytes at `path` (making its folder), last written an hour before now (or after). */
function put(path: string, bytes: number, later = false): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes, 1));
  const at = new Date(Date.now() + (later ? HOUR_MS : -HOUR_MS));
  utimesSync(path, at, at);
  return path;
}

const partialName = () => `.worker-lora-${randomUUID()}.partial`;

describe("the start's sweep of half-received LoRA uploads", () => {
  it('removes them from the run folders of listed jobs only, and says so', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-lora-partial-'));
    const db = openDatabase(':memory:');
    const { id: characterId } = createCharacter(db, { name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const jobs = new JobStore(db);
    const job = jobs.createJob('train', characterId, {}).id;
    const runDir = join(dataDir, jobRelDir(job), 'Mina-abc');

    // an upload being received, as a server killed now would leave it: the real file receiveLora writes
    const body = new PassThrough();
    const receiving = receiveLora(runDir, body, 10_000_000).catch((error: unknown) => error);
    body.write(Buffer.alloc(2_000_000, 2));
    let received: string[] = [];
    for (let i = 0; i < 200 && received.length === 0; i += 1) {
      await new Promise((done) => setTimeout(done, 20));
      received = existsSync(runDir) ? readdirSync(runDir).filter((name) => name.endsWith('.partial')) : [];
    }
    expect(received).toHaveLength(1);
    const secondRun = put(join(dataDir, jobRelDir(job), 'Mina-older', partialName()), 1_000_000);

    const kept = [
      put(join(runDir, 'Mina-abc.safetensors'), 10),
      put(join(runDir, 'checkpoints', 'step-000004', 'adapter.safetensors'), 10),
      put(join(runDir, 'notes.partial'), 10),
      put(join(runDir, '.worker-lora-not-an-upload.partial'), 10),
      put(join(runDir, partialName()), 10, true), // newer than the start: an upload of this process
      put(join(dataDir, jobRelDir('unlisted-job'), 'Mina-x', partialName()), 10), // a job the database forgot
    ];
    const link = join(runDir, partialName());
    symlinkSync(kept[0] as string, link);

    // the start is now: the upload in flight began before it
    const startedAt = Date.now() + 1000;
    await new Promise((done) => setTimeout(done, 50));
    body.write(Buffer.alloc(10, 2)); // written to before the sweep: its mtime is still before `startedAt`
    await new Promise((done) => setTimeout(done, 50));
    expect(removeStartUploadLeftovers(db, dataDir, startedAt)).toEqual([
      "removed 2 half-received LoRA uploads of a remote worker (.worker-lora-*.partial, left by a server stopped mid-upload) from 1 job's run folder (3.0 MB freed)",
    ]);
    expect(existsSync(join(runDir, received[0] as string))).toBe(false);
    expect(existsSync(secondRun)).toBe(false);
    for (const path of kept) expect(existsSync(path)).toBe(true);
    expect(existsSync(link)).toBe(true);
    expect(removeStartUploadLeftovers(db, dataDir, startedAt)).toEqual([]);
    body.destroy(new Error('the server was stopped'));
    await receiving;
  });
});

// src/jobs/upload-leftovers.test.ts — the start's sweep of a character's `loras/`: the same rules as its `uploads/`
// (only a marked file, only of a character the database lists, never a recorded one, only older than the start),
// and the line it logs; removeStartUploadLeftovers sweeps both folders with what the database records.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addArtifact } from './catalog/artifacts.js';
import { createCharacter } from './catalog/characters.js';
import { addImages } from './catalog/images.js';
import { loraUploadRelPath, lorasRelDir, uploadRelPath } from './data-layout.js';
import { openDatabase } from './database.js';
import {
  describeFreedUploads,
  LORA_UPLOADS,
  recordedArtifacts,
  removeOrphanUploads,
  removeStartUploadLeftovers,
  uploadMarkPath,
} from './upload-leftovers.js';

const HOUR_MS = 3_600_000;

/** Writes `bytes` bytes at `rel` under `dataDir` (making its folder), last written an hour before now (or after). */
function put(dataDir: string, rel: string, bytes: number, later = false): string {
  const path = join(dataDir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes, 1));
  const at = new Date(Date.now() + (later ? HOUR_MS : -HOUR_MS));
  utimesSync(path, at, at);
  return path;
}

/** What a server killed while streaming a LoRA leaves: the mark, then the part of the file written. */
function putMarked(dataDir: string, rel: string, bytes: number): string {
  put(dataDir, `${rel}.uploading`, 0);
  return put(dataDir, rel, bytes);
}

const dataDir = () => mkdtempSync(join(tmpdir(), 'toonlora-lora-sweep-'));

describe('removeOrphanUploads in loras/', () => {
  it('removes a marked LoRA no row records, and its mark', () => {
    const dir = dataDir();
    const cut = putMarked(dir, loraUploadRelPath('c1', 'cut'), 3000);
    expect(removeOrphanUploads(dir, new Set(), new Set(['c1']), Date.now(), LORA_UPLOADS)).toEqual({
      files: 1,
      bytes: 3000,
      folders: 1,
    });
    expect(existsSync(cut)).toBe(false);
    expect(readdirSync(join(dir, lorasRelDir('c1')))).toEqual([]);
  });

  it('keeps a recorded LoRA beside a stale mark (removing the mark), and an unmarked one no row records', () => {
    const dir = dataDir();
    const recorded = putMarked(dir, loraUploadRelPath('c1', 'recorded'), 100);
    const forgotten = put(dir, loraUploadRelPath('c1', 'forgotten'), 200); // an older database forgot it
    const freed = removeOrphanUploads(
      dir,
      new Set([loraUploadRelPath('c1', 'recorded')]),
      new Set(['c1']),
      Date.now(),
      LORA_UPLOADS,
    );
    expect(freed).toEqual({ files: 0, bytes: 0, folders: 0 });
    expect(existsSync(recorded)).toBe(true);
    expect(existsSync(uploadMarkPath(recorded))).toBe(false);
    expect(existsSync(forgotten)).toBe(true);
  });

  it('leaves the LoRAs of a character the database does not list, and files newer than the start', () => {
    const dir = dataDir();
    const unlisted = putMarked(dir, loraUploadRelPath('gone', 'cut'), 100);
    put(dir, `${loraUploadRelPath('c1', 'now')}.uploading`, 0, true);
    const writing = put(dir, loraUploadRelPath('c1', 'now'), 100, true);
    expect(removeOrphanUploads(dir, new Set(), new Set(['c1']), Date.now(), LORA_UPLOADS).files).toBe(0);
    for (const path of [unlisted, uploadMarkPath(unlisted), writing, uploadMarkPath(writing)]) {
      expect(existsSync(path)).toBe(true);
    }
  });

  it('removes a mark whose file was never opened (killed in between), counting no file', () => {
    const dir = dataDir();
    const mark = put(dir, `${loraUploadRelPath('c1', 'never')}.uploading`, 0);
    expect(removeOrphanUploads(dir, new Set(), new Set(['c1']), Date.now(), LORA_UPLOADS).files).toBe(0);
    expect(existsSync(mark)).toBe(false);
  });

  it('says what it freed in loras/', () => {
    expect(describeFreedUploads({ files: 1, bytes: 3_000_000, folders: 1 }, LORA_UPLOADS)).toBe(
      "removed 1 uploaded LoRA file no LoRA points to (left by a server stopped mid-upload) from 1 character's loras/ (3.0 MB freed)",
    );
  });
});

describe('removeStartUploadLeftovers', () => {
  it('sweeps uploads/ and loras/ of the listed characters, keeping every file a row records', () => {
    const db = openDatabase(':memory:');
    const dir = dataDir();
    const { id } = createCharacter(db, { name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const loraRel = loraUploadRelPath(id, 'kept');
    addArtifact(db, { characterId: id, jobId: null, kind: 'lora', name: 'kept', path: loraRel });
    const imageRel = uploadRelPath(id, 'kept', 'png');
    addImages(db, id, [
      {
        id: 'kept',
        originalName: 'kept.png',
        storedPath: imageRel,
        format: 'png',
        width: 8,
        height: 8,
        bytes: 5,
        sha256: 'a'.repeat(64),
      },
    ]);
    expect(recordedArtifacts(db, dir)).toEqual(new Set([loraRel]));
    const kept = [putMarked(dir, loraRel, 5), putMarked(dir, imageRel, 5)];
    const removed = [
      putMarked(dir, loraUploadRelPath(id, 'cut'), 3_000_000),
      putMarked(dir, uploadRelPath(id, 'cut', 'png'), 4000),
    ];

    expect(removeStartUploadLeftovers(db, dir, Date.now())).toEqual([
      "removed 1 uploaded file no screenshot points to (left by a server stopped mid-upload) from 1 character's uploads/ (4.0 kB freed)",
      "removed 1 uploaded LoRA file no LoRA points to (left by a server stopped mid-upload) from 1 character's loras/ (3.0 MB freed)",
    ]);
    for (const path of kept) expect(existsSync(path)).toBe(true);
    for (const path of [...removed, ...kept].map(uploadMarkPath)) expect(existsSync(path)).toBe(false);
    for (const path of removed) expect(existsSync(path)).toBe(false);
    expect(removeStartUploadLeftovers(db, dir, Date.now())).toEqual([]);
  });
});

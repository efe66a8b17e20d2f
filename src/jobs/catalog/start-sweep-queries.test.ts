// src/jobs/catalog/start-sweep-queries.test.ts — the catalog queries a server start's sweeps read (which upload
// files an image row or an artifact row still points to, which prep jobs kept a dataset), and where the sweep looks for uploads.
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { uploadRelPath, uploadsRelDir } from '../data-layout.js';
import { openDatabase } from '../database.js';
import { JobStore } from '../job-store.js';
import {
  recordedArtifacts,
  recordedUploads,
  removeOrphanUploads,
  uploadMarkPath,
} from '../upload-leftovers.js';
import { addArtifact, allStoredArtifactPaths, removeArtifact } from './artifacts.js';
import { createCharacter } from './characters.js';
import { createDataset, jobIdsWithDataset } from './datasets.js';
import { addImages, allStoredImagePaths, removeImage } from './images.js';

function image(characterId: string, id: string) {
  return {
    id,
    originalName: `${id}.png`,
    storedPath: uploadRelPath(characterId, id, 'png'),
    format: 'png' as const,
    width: 8,
    height: 8,
    bytes: 3,
    sha256: id.padEnd(64, '0'),
  };
}

describe('the queries of the start sweeps', () => {
  it('allStoredImagePaths: every image row, removed screenshots included', () => {
    const db = openDatabase(':memory:');
    const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-sweep-'));
    const { id } = createCharacter(db, { name: 'Mika', trigger: 'sks', classWord: 'girl' });
    addImages(db, id, [image(id, 'a'), image(id, 'b')]);
    removeImage(db, dataDir, 'b');
    expect(allStoredImagePaths(db).sort()).toEqual([
      `characters/${id}/uploads/a.png`,
      `characters/${id}/uploads/b.png`,
    ]);
    expect(recordedUploads(db, dataDir)).toEqual(new Set(allStoredImagePaths(db)));
  });

  it('allStoredArtifactPaths: every artifact row, of every kind, and none once removed', () => {
    const db = openDatabase(':memory:');
    const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-sweep-'));
    const { id } = createCharacter(db, { name: 'Mika', trigger: 'sks', classWord: 'girl' });
    const row = (kind: 'lora' | 'image', path: string) =>
      addArtifact(db, { characterId: id, jobId: null, kind, name: path, path });
    row('lora', `characters/${id}/loras/kept.safetensors`);
    row('image', 'jobs/j1/out/seed-1.png');
    removeArtifact(db, row('lora', `characters/${id}/loras/gone.safetensors`).id);
    expect(allStoredArtifactPaths(db).sort()).toEqual([
      `characters/${id}/loras/kept.safetensors`,
      'jobs/j1/out/seed-1.png',
    ]);
    expect(recordedArtifacts(db, dataDir)).toEqual(new Set(allStoredArtifactPaths(db)));
  });

  it('jobIdsWithDataset: the prep jobs some dataset version was made by, each once', () => {
    const db = openDatabase(':memory:');
    const { id } = createCharacter(db, { name: 'Mika', trigger: 'sks', classWord: 'girl' });
    const jobs = new JobStore(db);
    const kept = jobs.createJob('prep', id, {});
    jobs.createJob('prep', id, {}); // cancelled before it made a dataset
    for (const _ of [1, 2])
      createDataset(db, { characterId: id, jobId: kept.id, dir: 'd', items: [], skipped: [] });
    expect(jobIdsWithDataset(db)).toEqual(new Set([kept.id]));
  });
});

describe('uploadsRelDir', () => {
  it('is the folder uploadRelPath puts a character’s screenshots in, the one the sweep empties', () => {
    expect(uploadsRelDir('c1')).toBe('characters/c1/uploads');
    expect(uploadRelPath('c1', 'i1', 'png')).toBe(`${uploadsRelDir('c1')}/i1.png`);
    const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-sweep-'));
    mkdirSync(join(dataDir, uploadsRelDir('c1')), { recursive: true });
    const orphan = join(dataDir, uploadsRelDir('c1'), 'orphan.png');
    writeFileSync(orphan, 'png');
    writeFileSync(uploadMarkPath(orphan), '');
    utimesSync(orphan, 1, 1);
    utimesSync(uploadMarkPath(orphan), 1, 1);
    writeFileSync(join(dataDir, uploadRelPath('c1', 'kept', 'png')), 'png');
    const recorded = new Set([uploadRelPath('c1', 'kept', 'png')]);
    expect(removeOrphanUploads(dataDir, recorded, new Set(['c1']), Date.now())).toEqual({
      files: 1,
      bytes: 3,
      folders: 1,
    });
  });
});

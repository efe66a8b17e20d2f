// src/jobs/deleted-folders-by.test.ts — a start's lines about a `jobs/` folder a delete moved aside name the delete
// that moved it: a job's own (DELETE /api/jobs/:id, whose marked name is `.deleted-job-<id>-<ms>`) or a character's
// (which moves its jobs' folders too, under `.deleted-<id>-<ms>`). Before, every such line said "a character's
// delete moved it aside", and the folder a job's delete left told the user to put back the database to get "the
// character" back.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCharacter, deleteCharacter } from './catalog/characters.js';
import { openDatabase } from './database.js';
import {
  DELETED_MARK,
  deletedFolderBy,
  deletedFolderId,
  deletedFolderName,
  deleteRowsMovingFoldersAside,
  describeDeletedFoldersSweep,
  moveFoldersAside,
  sweepDeletedFolders,
} from './deleted-folders.js';
import { deleteFinishedJob } from './job-delete.js';
import { JobStore } from './job-store.js';

const AT_MS = 1_765_000_000_000;

/** A data folder with a character and a finished job of its, each with one file. */
function scene() {
  const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-deleted-by-'));
  const db = openDatabase(join(dataDir, 'toonlora.db'));
  const { id } = createCharacter(db, { name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  const jobs = new JobStore(db);
  const jobId = jobs.createJob('train', id, {}).id;
  for (const status of ['running', 'succeeded'] as const) jobs.transition(jobId, status);
  for (const path of [
    join(dataDir, 'characters', id, 'uploads', 'a.png'),
    join(dataDir, 'jobs', jobId, 'lora', 'lora.safetensors'),
  ]) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'x');
  }
  return { dataDir, db, id, jobId };
}

describe("a job's delete's marked name", () => {
  it('holds the id and says a job delete moved it; the plain name says a character delete did', () => {
    const id = '0b6c4c1e-2f7d-4a43-9d55-0c9c2a7e51f3';
    const byJob = deletedFolderName(id, AT_MS, 'job');
    expect(byJob).toBe(`${DELETED_MARK}job-${id}-${AT_MS}`);
    expect(deletedFolderId(byJob)).toBe(id);
    expect(deletedFolderBy(byJob)).toBe('job');
    expect(deletedFolderBy(deletedFolderName(id, AT_MS))).toBe('character');
  });
});

describe("a start's lines about a job's folder", () => {
  it("a job's delete cut short before its commit: put back, saying a job's delete moved it", () => {
    const { dataDir, db, jobId } = scene();
    // what a crash after the move and before the commit leaves: the job's rows, its folder under the marked name
    const [moved] = moveFoldersAside(dataDir, [`jobs/${jobId}`], AT_MS, 'job');
    const marked = join(dataDir, 'jobs', deletedFolderName(jobId, AT_MS, 'job'));
    expect(moved?.to).toBe(marked);
    const lines = describeDeletedFoldersSweep(sweepDeletedFolders(db, dataDir));
    expect(lines).toEqual([
      {
        level: 'warn',
        line: `put ${marked} back as ${join(dataDir, 'jobs', jobId)}: a job's delete moved it aside and did not complete, and the database still lists it`,
      },
    ]);
  });

  it("one that cannot be put back names a job's delete; a character's delete is named for its own", () => {
    const { dataDir, db, id, jobId } = scene();
    moveFoldersAside(dataDir, [`characters/${id}`], AT_MS);
    moveFoldersAside(dataDir, [`jobs/${jobId}`], AT_MS, 'job');
    mkdirSync(join(dataDir, 'jobs', jobId)); // the name is taken
    const jobMarked = join(dataDir, 'jobs', deletedFolderName(jobId, AT_MS, 'job'));
    const lines = describeDeletedFoldersSweep(sweepDeletedFolders(db, dataDir));
    expect(lines.map(({ line }) => line)).toEqual([
      `put ${join(dataDir, 'characters', deletedFolderName(id, AT_MS))} back as ${join(dataDir, 'characters', id)}: a character's delete moved it aside and did not complete, and the database still lists it`,
      `could not put ${jobMarked} back as ${join(dataDir, 'jobs', jobId)} (${join(dataDir, 'jobs', jobId)} exists): a job's delete moved it aside and did not complete, and the database still lists it; with serve stopped, move it there yourself`,
    ]);
  });

  it("left under a database put in place after the delete: one line for a job's delete, one for a character's", () => {
    const { dataDir, db, id, jobId } = scene();
    // a job's delete, then its character's, each committed and cut short before the removal
    const other = new JobStore(db).createJob('train', id, {}).id;
    for (const status of ['running', 'succeeded'] as const) new JobStore(db).transition(other, status);
    mkdirSync(join(dataDir, 'jobs', other));
    deleteRowsMovingFoldersAside(db, () => deleteFinishedJob(db, jobId), dataDir, AT_MS, 'job');
    deleteRowsMovingFoldersAside(db, () => deleteCharacter(db, id), dataDir, AT_MS + 1);
    db.close();
    rmSync(join(dataDir, 'toonlora.db'));
    const fresh = openDatabase(join(dataDir, 'toonlora.db'));
    const byJob = join(dataDir, 'jobs', deletedFolderName(jobId, AT_MS, 'job'));
    const byCharacter = [
      join(dataDir, 'characters', deletedFolderName(id, AT_MS + 1)),
      join(dataDir, 'jobs', deletedFolderName(other, AT_MS + 1)),
    ];
    const lines = describeDeletedFoldersSweep(sweepDeletedFolders(fresh, dataDir));
    expect(lines).toEqual([
      {
        level: 'warn',
        line:
          `left ${byCharacter.join(', ')}: folders a character's delete moved aside that this database neither ` +
          'records as deleted nor lists (toonlora.db was replaced after that delete?); nothing was removed. To get ' +
          'the character back, put back the toonlora.db that lists it; if it is not wanted, remove the folders ' +
          'yourself with serve stopped',
      },
      {
        level: 'warn',
        line:
          `left ${byJob}: folders a job's delete moved aside that this database neither records as deleted nor ` +
          'lists (toonlora.db was replaced after that delete?); nothing was removed. To get the job back, put back ' +
          'the toonlora.db that lists it; if it is not wanted, remove the folders yourself with serve stopped',
      },
    ]);
  });
});

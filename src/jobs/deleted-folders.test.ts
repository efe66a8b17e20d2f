// src/jobs/deleted-folders.test.ts — a character's delete moves its folders aside under a marked name in the rows'
// transaction (all or none: a refused rename rolls the rows back and moves the others back), a removal that fails
// names the file and why, and a start removes the marked folders of ids the database no longer lists and puts back
// those it still lists (a delete cut short before its commit), in lines that never speak of an older database. It
// removes only folders the database itself recorded as deleted (table deleted_folders, written in the delete's
// transaction): with a new, emptied or older toonlora.db put in place after a crash, an unrecorded marked folder of an
// id it does not list is left and named. Before, the start removed it: a character the user may want back.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  canRefuseRemoval,
  refuseFileRemoval,
  refuseFolderRename,
} from '../../test/helpers/refuse-removal.js';
import { createCharacter, deleteCharacter, getCharacter } from './catalog/characters.js';
import { openDatabase, type SqliteDatabase } from './database.js';
import {
  DELETED_MARK,
  deletedFolderId,
  deletedFolderName,
  deleteRowsMovingFoldersAside,
  describeDeletedFoldersSweep,
  removeDeletedFolders,
  removeFolders,
  sweepDeletedFolders,
} from './deleted-folders.js';
import { JobStore } from './job-store.js';

const AT_MS = 1_765_000_000_000;

/** A data folder with a character (one upload) and a finished job of its (one file). */
function scene() {
  const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-deleted-folders-'));
  const db = openDatabase(join(dataDir, 'toonlora.db'));
  const { id } = createCharacter(db, { name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  const jobs = new JobStore(db);
  const job = jobs.createJob('train', id, {});
  jobs.transition(job.id, 'running');
  jobs.transition(job.id, 'succeeded');
  const upload = join(dataDir, 'characters', id, 'uploads', 'a.png');
  const jobFile = join(dataDir, 'jobs', job.id, 'lora', 'lora.safetensors');
  for (const path of [upload, jobFile]) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, 'x');
  }
  return { dataDir, db, id, jobId: job.id, upload, jobFile };
}

const isListed = (db: SqliteDatabase, id: string) => {
  try {
    getCharacter(db, id);
    return true;
  } catch {
    return false;
  }
};

describe('the marked name', () => {
  it('holds the id (a uuid with its dashes) and the time; other names hold none', () => {
    const id = '0b6c4c1e-2f7d-4a43-9d55-0c9c2a7e51f3';
    expect(deletedFolderName(id, AT_MS)).toBe(`${DELETED_MARK}${id}-${AT_MS}`);
    expect(deletedFolderId(deletedFolderName(id, AT_MS))).toBe(id);
    for (const name of [id, '.staging', `${DELETED_MARK}${id}`, `x${DELETED_MARK}${id}-1`]) {
      expect(deletedFolderId(name), name).toBeUndefined();
    }
  });
});

describe("a character's delete", () => {
  it('moves its folders aside with the rows gone, and removes them', () => {
    const { dataDir, db, id, jobId } = scene();
    const moved = deleteRowsMovingFoldersAside(db, () => deleteCharacter(db, id), dataDir, AT_MS);
    expect(isListed(db, id)).toBe(false);
    expect(moved.map(({ to }) => to)).toEqual([
      join(dataDir, 'characters', deletedFolderName(id, AT_MS)),
      join(dataDir, 'jobs', deletedFolderName(jobId, AT_MS)),
    ]);
    expect(existsSync(join(dataDir, 'characters', id))).toBe(false);
    expect(removeFolders(moved.map(({ to }) => to))).toEqual([]);
    expect(readdirSync(join(dataDir, 'characters'))).toEqual([]);
    expect(readdirSync(join(dataDir, 'jobs'))).toEqual([]);
  });

  it.runIf(canRefuseRemoval())('a refused rename deletes nothing and moves nothing', () => {
    const { dataDir, db, id, jobId, upload } = scene();
    const undo = refuseFolderRename(join(dataDir, 'jobs', jobId));
    try {
      expect(() => deleteRowsMovingFoldersAside(db, () => deleteCharacter(db, id), dataDir, AT_MS)).toThrow(
        /EPERM|EACCES/,
      );
    } finally {
      undo?.();
    }
    expect(isListed(db, id)).toBe(true);
    expect(existsSync(upload)).toBe(true); // the character's folder, moved first, is back
    expect(readdirSync(join(dataDir, 'characters'))).toEqual([id]);
    expect(readdirSync(join(dataDir, 'jobs'))).toEqual([jobId]);
  });

  it.runIf(canRefuseRemoval())(
    'a removal that fails names the file and why; a start removes it later',
    () => {
      const { dataDir, db, id, upload } = scene();
      const undo = refuseFileRemoval(upload);
      let failed: ReturnType<typeof removeFolders> = [];
      const marked = join(dataDir, 'characters', deletedFolderName(id, AT_MS));
      try {
        const moved = deleteRowsMovingFoldersAside(db, () => deleteCharacter(db, id), dataDir, AT_MS);
        failed = removeFolders(moved.map(({ to }) => to));
        expect(failed).toEqual([
          {
            path: marked,
            reason: expect.stringMatching(new RegExp(`^(EPERM|EACCES): [a-z ]+ at ${marked}/uploads/a.png$`)),
          },
        ]);
        // the start cannot either: it says so, and what it is (never "an older database")
        const sweep = sweepDeletedFolders(db, dataDir);
        expect(sweep).toMatchObject({ removed: [], restored: [], failed: [{ path: marked }] });
        const [line] = describeDeletedFoldersSweep(sweep);
        expect(line?.level).toBe('warn');
        expect(line?.line).toMatch(
          new RegExp(`^could not remove ${marked}, the files of a deleted character or job \\((EPERM|EACCES): `),
        );
        expect(line?.line).not.toMatch(/older database|put back the copy/);
      } finally {
        undo?.(existsSync(marked) ? join(marked, 'uploads', 'a.png') : upload);
      }
      const sweep = sweepDeletedFolders(db, dataDir);
      expect(sweep).toEqual({ removed: [marked], restored: [], failed: [], notRestored: [], unrecorded: [] });
      expect(describeDeletedFoldersSweep(sweep)).toEqual([
        {
          level: 'info',
          line: `removed what deleted characters and jobs left (a removal that failed or was cut short): ${marked}`,
        },
      ]);
      expect(existsSync(marked)).toBe(false);
    },
  );
});

describe('a start', () => {
  it('puts back the folders of a delete cut short before its commit (the database still lists their ids)', () => {
    const { dataDir, db, id, jobId, upload, jobFile } = scene();
    const characterMarked = join(dataDir, 'characters', deletedFolderName(id, AT_MS));
    const jobMarked = join(dataDir, 'jobs', deletedFolderName(jobId, AT_MS));
    // what a crash after the moves and before the commit leaves: the rows, and the folders under marked names
    renameSync(join(dataDir, 'characters', id), characterMarked);
    renameSync(join(dataDir, 'jobs', jobId), jobMarked);
    const sweep = sweepDeletedFolders(db, dataDir);
    expect(sweep).toEqual({
      removed: [],
      restored: [
        { from: characterMarked, to: join(dataDir, 'characters', id) },
        { from: jobMarked, to: join(dataDir, 'jobs', jobId) },
      ],
      failed: [],
      notRestored: [],
      unrecorded: [],
    });
    for (const path of [upload, jobFile]) expect(existsSync(path), path).toBe(true);
    expect(describeDeletedFoldersSweep(sweep)[0]).toEqual({
      level: 'warn',
      line: `put ${characterMarked} back as ${join(dataDir, 'characters', id)}: a character's delete moved it aside and did not complete, and the database still lists it`,
    });
  });

  it('removes the marked folders of a delete cut short after its commit, and leaves one whose name is taken', () => {
    const { dataDir, db, id } = scene();
    // a crash after the commit, before the removal: rows gone, folders marked
    const moved = deleteRowsMovingFoldersAside(db, () => deleteCharacter(db, id), dataDir, AT_MS);
    const other = createCharacter(db, { name: 'Rin', trigger: 'rin_tl', classWord: 'girl' }).id;
    mkdirSync(join(dataDir, 'characters', other));
    const taken = join(dataDir, 'characters', deletedFolderName(other, AT_MS));
    mkdirSync(taken);
    const sweep = sweepDeletedFolders(db, dataDir);
    expect(sweep).toEqual({
      removed: moved.map(({ to }) => to),
      restored: [],
      failed: [],
      notRestored: [
        {
          from: taken,
          to: join(dataDir, 'characters', other),
          reason: `${join(dataDir, 'characters', other)} exists`,
        },
      ],
      unrecorded: [],
    });
    expect(readdirSync(join(dataDir, 'jobs'))).toEqual([]);
    expect(readdirSync(join(dataDir, 'characters')).sort()).toEqual(
      [other, deletedFolderName(other, AT_MS)].sort(),
    );
    // nothing marked, nothing said
    rmSync(taken, { recursive: true });
    expect(describeDeletedFoldersSweep(sweepDeletedFolders(db, dataDir))).toEqual([]);
  });
});

/** The folders the database records as moved aside by a committed delete (relative to the data folder). */
const recordedRows = (db: SqliteDatabase) =>
  (db.prepare('SELECT path FROM deleted_folders ORDER BY path').all() as { path: string }[]).map(
    (r) => r.path,
  );

describe('the record of a delete (deleted_folders)', () => {
  it('lists the folders a delete moved aside, and forgets each once removed', () => {
    const { dataDir, db, id, jobId } = scene();
    const moved = deleteRowsMovingFoldersAside(db, () => deleteCharacter(db, id), dataDir, AT_MS);
    expect(recordedRows(db)).toEqual([
      `characters/${deletedFolderName(id, AT_MS)}`,
      `jobs/${deletedFolderName(jobId, AT_MS)}`,
    ]);
    expect(removeDeletedFolders(db, dataDir, moved)).toEqual([]);
    expect(recordedRows(db)).toEqual([]);
    expect(readdirSync(join(dataDir, 'characters'))).toEqual([]);
  });

  it('is forgotten by a start for a folder already gone; a removing start forgets what it removed', () => {
    const { dataDir, db, id } = scene();
    const moved = deleteRowsMovingFoldersAside(db, () => deleteCharacter(db, id), dataDir, AT_MS);
    rmSync(moved[0]?.to as string, { recursive: true }); // removed, its record not forgotten (a crash in between)
    expect(sweepDeletedFolders(db, dataDir).removed).toEqual([moved[1]?.to]);
    expect(recordedRows(db)).toEqual([]);
  });
});

describe('a start with a database put in place after a delete', () => {
  it('leaves the marked folders a new, emptied database does not record, and names them', () => {
    const { dataDir, db, id, jobId, upload, jobFile } = scene();
    // a crash after the delete's commit, before the removal; then a new toonlora.db made in its place
    deleteRowsMovingFoldersAside(db, () => deleteCharacter(db, id), dataDir, AT_MS);
    db.close();
    rmSync(join(dataDir, 'toonlora.db'));
    const fresh = openDatabase(join(dataDir, 'toonlora.db'));
    const characterMarked = join(dataDir, 'characters', deletedFolderName(id, AT_MS));
    const jobMarked = join(dataDir, 'jobs', deletedFolderName(jobId, AT_MS));
    const sweep = sweepDeletedFolders(fresh, dataDir);
    // before: both removed, the character's screenshots and LoRAs with them
    expect(sweep).toEqual({
      removed: [],
      restored: [],
      failed: [],
      notRestored: [],
      unrecorded: [characterMarked, jobMarked],
    });
    expect(existsSync(join(characterMarked, 'uploads', 'a.png'))).toBe(true);
    expect(existsSync(join(jobMarked, 'lora', 'lora.safetensors'))).toBe(true);
    expect([upload, jobFile].map(existsSync)).toEqual([false, false]);
    expect(describeDeletedFoldersSweep(sweep)).toEqual([
      {
        level: 'warn',
        line:
          `left ${characterMarked}, ${jobMarked}: folders a character's delete moved aside that this database ` +
          'neither records as deleted nor lists (toonlora.db was replaced after that delete?); nothing was removed. ' +
          'To get the character back, put back the toonlora.db that lists it; if it is not wanted, remove the ' +
          'folders yourself with serve stopped',
      },
    ]);
  });

  it('puts the folders back under an older copy that still lists the character', () => {
    const { dataDir, db, id, jobId, upload, jobFile } = scene();
    const copy = join(dataDir, 'before-delete.db');
    db.exec(`VACUUM INTO '${copy}'`);
    deleteRowsMovingFoldersAside(db, () => deleteCharacter(db, id), dataDir, AT_MS);
    db.close();
    renameSync(copy, join(dataDir, 'toonlora.db'));
    for (const suffix of ['-wal', '-shm']) rmSync(join(dataDir, `toonlora.db${suffix}`), { force: true });
    const older = openDatabase(join(dataDir, 'toonlora.db'));
    const sweep = sweepDeletedFolders(older, dataDir);
    expect(sweep.restored.map(({ to }) => to)).toEqual([
      join(dataDir, 'characters', id),
      join(dataDir, 'jobs', jobId),
    ]);
    expect([upload, jobFile].map(existsSync)).toEqual([true, true]);
  });
});

// src/jobs/deleted-folders-subject.test.ts — deleteWithFolders, the one delete of rows with their folders that the
// job and character routes share: the rows go with the folders moved aside, `rowsGone` runs with the rows gone and
// the folders not yet removed, and a folder that cannot be removed is handed on with the log fields and the line
// naming the job or the character (the words each route logged before the two loops became this one).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canRefuseRemoval, refuseFileRemoval } from '../../test/helpers/refuse-removal.js';
import { createCharacter, deleteCharacter } from './catalog/characters.js';
import { openDatabase } from './database.js';
import { deletedFolderName, deleteWithFolders, moveAsideRefused } from './deleted-folders.js';
import { deleteFinishedJob } from './job-delete.js';
import { JobStore } from './job-store.js';

const AT_MS = 1_765_000_000_000;

/** A data folder with a finished job (one file) of a character with no files. */
function jobScene() {
  const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-deleted-subject-'));
  const db = openDatabase(join(dataDir, 'toonlora.db'));
  const characterId = createCharacter(db, { name: 'Mina', trigger: 'mina_tl', classWord: 'girl' }).id;
  const jobs = new JobStore(db);
  const jobId = jobs.createJob('train', characterId, {}).id;
  for (const status of ['running', 'succeeded'] as const) jobs.transition(jobId, status);
  const jobFile = join(dataDir, 'jobs', jobId, 'lora', 'lora.safetensors');
  mkdirSync(join(jobFile, '..'), { recursive: true });
  writeFileSync(jobFile, 'x');
  return { dataDir, db, characterId, jobId, jobFile };
}

describe('deleteWithFolders', () => {
  it("a character's delete: the rows go, rowsGone runs before the removal, the folders go, nothing handed on", () => {
    const { dataDir, db, characterId: id, jobId } = jobScene();
    const seenAtRowsGone: string[] = [];
    const left: unknown[] = [];
    deleteWithFolders(
      db,
      dataDir,
      { kind: 'character', id },
      {
        deleteRows: () => deleteCharacter(db, id),
        rowsGone: () => seenAtRowsGone.push(...readdirSync(join(dataDir, 'jobs'))),
        folderLeft: (fields, line) => left.push({ fields, line }),
      },
      AT_MS,
    );
    expect(seenAtRowsGone).toEqual([deletedFolderName(jobId, AT_MS)]);
    expect(readdirSync(join(dataDir, 'jobs'))).toEqual([]);
    expect(db.prepare('SELECT id FROM characters').all()).toEqual([]);
    expect(left).toEqual([]);
  });

  it.runIf(canRefuseRemoval())(
    "a job's folder that cannot be removed: its fields and line name the job",
    () => {
      const { dataDir, db, jobId, jobFile } = jobScene();
      const undo = refuseFileRemoval(jobFile);
      const marked = join(dataDir, 'jobs', deletedFolderName(jobId, AT_MS, 'job'));
      const left: Array<{ fields: Record<string, string>; line: string }> = [];
      try {
        deleteWithFolders(
          db,
          dataDir,
          { kind: 'job', id: jobId },
          {
            deleteRows: () => deleteFinishedJob(db, jobId),
            folderLeft: (fields, line) => left.push({ fields, line }),
          },
          AT_MS,
        );
      } finally {
        undo?.(join(marked, 'lora', 'lora.safetensors'));
      }
      expect(existsSync(join(dataDir, 'jobs', jobId))).toBe(false);
      expect(left).toEqual([
        {
          fields: { jobId, path: marked },
          line: expect.stringMatching(
            new RegExp(
              `^deleting job ${jobId}: could not remove ${marked} \\((EPERM|EACCES): [a-z ]+ at ${marked}/lora/` +
                'lora.safetensors\\); the next start tries again$',
            ),
          ),
        },
      ]);
    },
  );
});

describe('moveAsideRefused', () => {
  it("names what a refused move left as it was: the job for a job's delete, the character by default", () => {
    const eperm = Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
    const forJob = moveAsideRefused('/data/jobs/j1', eperm, 'job').message;
    expect(forJob).toContain('nothing was deleted, the job is as it was.');
    expect(forJob).toMatch(/then delete the job again\.$/);
    expect(moveAsideRefused('/data/characters/c1', eperm).message).toMatch(
      /the character is as it was\..*then delete the character again\.$/,
    );
  });
});

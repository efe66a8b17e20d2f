// test/server-character-delete-leftovers.test.ts — a character's delete whose folder cannot be removed (an upload made
// immutable, `chattr +i`): the reply is 204 (the character is gone), the folder left is logged by path under a marked
// name, and each start tries to remove it, naming it and why, until it can. Before, the reply was 500 for a character
// that was gone, the folder kept its name, and every start warned of "a new, emptied or older database" and advised
// putting back the copy that lists it: advice that would bring the deleted character back. The delete records its
// moved-aside folders in the database and forgets them once removed; a start under a database put in place after a
// crash (a new one) leaves the folders that database does not record, naming them. Before, it removed them.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { deletedFolderId, deleteRowsMovingFoldersAside } from '../src/jobs/deleted-folders.js';
import { canRefuseRemoval, refuseFileRemoval } from './helpers/refuse-removal.js';
import { multipartBody, solidPng, stderrOfStartAndClose } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp, apps } = appsClosedAfterEach('character-delete-leftovers');

describe('a character delete whose folder cannot be removed', () => {
  it.runIf(canRefuseRemoval())(
    'answers 204, logs the folder left, and each start removes it once it can, never blaming the database',
    async () => {
      const app = await makeApp();
      const { dataDir } = app;
      const characterId = await createCharacter(app);
      const body = multipartBody([{ filename: 'a.png', data: await solidPng() }]);
      const upload = await app.inject({
        method: 'POST',
        url: `/api/characters/${characterId}/images`,
        ...body,
      });
      expect(upload.statusCode).toBe(201);
      const [stored] = readdirSync(join(dataDir, 'characters', characterId, 'uploads'));
      const undo = refuseFileRemoval(join(dataDir, 'characters', characterId, 'uploads', String(stored)));
      const markedName = () => readdirSync(join(dataDir, 'characters')).find((n) => deletedFolderId(n));
      let marked = '';
      try {
        const written: string[] = [];
        const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
          written.push(String(chunk));
          return true;
        });
        const res = await app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` });
        spy.mockRestore();
        expect(res.statusCode).toBe(204);
        expect((await app.inject({ method: 'GET', url: `/api/characters/${characterId}` })).statusCode).toBe(
          404,
        );
        expect(existsSync(join(dataDir, 'characters', characterId))).toBe(false);
        marked = join(dataDir, 'characters', String(markedName()));
        expect(deletedFolderId(String(markedName()))).toBe(characterId);
        expect(written).toEqual([
          expect.stringMatching(
            new RegExp(
              `^toonlora serve: deleting character ${characterId}: could not remove ${marked} \\((EPERM|EACCES): [a-z ]+ at ${marked}/uploads/${stored}\\); the next start tries again\\n$`,
            ),
          ),
        ]);
        apps.splice(apps.indexOf(app), 1);
        await app.close();

        // a start while the file still refuses: named, with why, and not counted as a folder the database forgot
        const refused = await stderrOfStartAndClose(dataDir);
        expect(refused).toEqual([
          expect.stringMatching(
            new RegExp(
              `^toonlora serve: could not remove ${marked}, the files of a deleted character or job \\((EPERM|EACCES): `,
            ),
          ),
        ]);
        expect(refused.join('')).not.toMatch(/older database|put back the copy/);
      } finally {
        undo?.(marked ? join(marked, 'uploads', String(stored)) : undefined);
      }
      // once it can: removed, and said
      const freed = await stderrOfStartAndClose(dataDir);
      expect(freed).toEqual([
        `toonlora serve: removed what deleted characters and jobs left (a removal that failed or was cut short): ${marked}\n`,
      ]);
      expect(readdirSync(join(dataDir, 'characters'))).toEqual([]);
    },
    60_000,
  );

  it('a start under a new toonlora.db leaves what a delete cut short moved aside, and names it', async () => {
    const app = await makeApp();
    const { dataDir } = app;
    const characterId = await createCharacter(app);
    const body = multipartBody([{ filename: 'a.png', data: await solidPng() }]);
    const upload = await app.inject({
      method: 'POST',
      url: `/api/characters/${characterId}/images`,
      ...body,
    });
    expect(upload.statusCode).toBe(201);
    const rows = () => app.catalog.db.prepare('SELECT path FROM deleted_folders').all();
    // a delete that completes forgets what it recorded
    const other = await createCharacter(app, {}, 'Rin');
    expect((await app.inject({ method: 'DELETE', url: `/api/characters/${other}` })).statusCode).toBe(204);
    expect(rows()).toEqual([]);
    // a crash after the delete's commit, before the removal; then a new, empty database in its place
    const [moved] = deleteRowsMovingFoldersAside(
      app.catalog.db,
      () => app.catalog.deleteCharacter(characterId),
      dataDir,
      Date.now(),
    );
    expect(rows()).toHaveLength(1);
    apps.splice(apps.indexOf(app), 1);
    await app.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `toonlora.db${suffix}`), { force: true });

    const lines = await stderrOfStartAndClose(dataDir);
    // before: "removed what deleted characters left …" and the screenshots gone
    expect(lines.filter((line) => line.includes('.deleted-'))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^toonlora serve: left ${moved?.to}: folders a character's delete moved aside that this database`,
        ),
      ),
    ]);
    expect(readdirSync(join(String(moved?.to), 'uploads'))).toHaveLength(1);
  }, 60_000);
});

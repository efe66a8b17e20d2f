// test/server-character-delete-leftovers.test.ts — a character's delete whose folder cannot be removed (an upload made
// immutable, `chattr +i`): the reply is 204 (the character is gone), the folder left is logged by path under a marked
// name, and each start tries to remove it, naming it and why, until it can. Before, the reply was 500 for a character
// that was gone, the folder kept its name, and every start warned of "a new, emptied or older database" and advised
// putting back the copy that lists it: advice that would bring the deleted character back.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { deletedFolderId } from '../src/jobs/deleted-folders.js';
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
              `^toonlora serve: could not remove ${marked}, the files of a deleted character \\((EPERM|EACCES): `,
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
        `toonlora serve: removed what deleted characters left (a removal that failed or was cut short): ${marked}\n`,
      ]);
      expect(readdirSync(join(dataDir, 'characters'))).toEqual([]);
    },
    60_000,
  );
});

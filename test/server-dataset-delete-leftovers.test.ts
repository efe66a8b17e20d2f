// test/server-dataset-delete-leftovers.test.ts — DELETE /api/datasets/:id when its folder cannot be removed (a file
// in it made immutable, or its folder read-only): the rows are gone, so the reply is the 204 of a done delete, and the
// server log names the folder that stays, why, and what to do.
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { preppedVersion } from './helpers/dataset-version.js';
import { appWithLog } from './helpers/logged-app.js';
import { canRefuseRemoval, refuseFileRemoval, type UndoRefusal } from './helpers/refuse-removal.js';
import { createCharacter } from './helpers/test-apps.js';

const undos: UndoRefusal[] = [];
const open: FastifyInstance[] = [];
afterEach(async () => {
  for (const undo of undos.splice(0)) undo();
  for (const app of open.splice(0)) await app.close();
});

describe.skipIf(!canRefuseRemoval())('DELETE /api/datasets/:id with a folder that cannot be removed', () => {
  it('answers 204, the version is gone, and the log names the folder that stays', async () => {
    const { app, lines } = await appWithLog('dataset-delete-leftovers', open);
    const characterId = await createCharacter(app);
    const { dataset, folder } = await preppedVersion(app, characterId);
    const undo = refuseFileRemoval(join(folder, 'a.png'));
    if (undo) undos.push(undo);
    const res = await app.inject({ method: 'DELETE', url: `/api/datasets/${dataset.id}` });
    expect(res.statusCode, res.body).toBe(204);
    expect(app.catalog.listDatasets(characterId)).toEqual([]);
    const warning = lines.find((line) =>
      String(line.msg).startsWith(`dataset version ${dataset.id} was deleted`),
    );
    expect(String(warning?.msg)).toMatch(
      new RegExp(
        `^dataset version ${dataset.id} was deleted, but its folder stays on disk: ${folder} \\(.+\\)\\. ` +
          'Remove it by hand, or delete the prep job that made it\\.$',
      ),
    );
  });
});

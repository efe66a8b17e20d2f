// test/server-generated-image-delete-leftovers.test.ts — DELETE /api/generated-images/:id when its file cannot be
// removed (made immutable, or its folder read-only): the row is gone, so the reply is the 204 of a done delete, and
// the server log names the file that stays, why, and what to do.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { appWithLog } from './helpers/logged-app.js';
import { canRefuseRemoval, refuseFileRemoval, type UndoRefusal } from './helpers/refuse-removal.js';
import { createCharacter } from './helpers/test-apps.js';

const undos: UndoRefusal[] = [];
const open: FastifyInstance[] = [];
afterEach(async () => {
  for (const undo of undos.splice(0)) undo();
  for (const app of open.splice(0)) await app.close();
});

describe.skipIf(!canRefuseRemoval())(
  'DELETE /api/generated-images/:id with a file that cannot be removed',
  () => {
    it('answers 204, the image is gone from the lists, and the log names the file that stays', async () => {
      const { app, lines } = await appWithLog('generated-image-delete-leftovers', open);
      const characterId = await createCharacter(app);
      const job = app.jobStore.createJob('generate', characterId, {});
      app.jobStore.transition(job.id, 'running');
      app.jobStore.transition(job.id, 'succeeded', { result: {} });
      const rel = `jobs/${job.id}/images/seed-1.png`;
      const file = join(app.dataDir, rel);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, 'png');
      const image = app.catalog.addArtifact({
        characterId,
        jobId: job.id,
        kind: 'image',
        name: 'seed 1',
        path: rel,
      });
      const undo = refuseFileRemoval(file);
      if (undo) undos.push(undo);
      const res = await app.inject({ method: 'DELETE', url: `/api/generated-images/${image.id}` });
      expect(res.statusCode, res.body).toBe(204);
      expect(app.catalog.listArtifacts({ characterId })).toEqual([]);
      expect(existsSync(file)).toBe(true);
      const warning = lines.find((line) =>
        String(line.msg).startsWith(`generated image seed 1 (${image.id})`),
      );
      expect(String(warning?.msg)).toMatch(
        new RegExp(
          `^generated image seed 1 \\(${image.id}\\) was deleted, but its file stays on disk: ${file} \\(.+\\)\\. ` +
            'Remove it by hand, or delete the generate job that made it\\.$',
        ),
      );
    });
  },
);

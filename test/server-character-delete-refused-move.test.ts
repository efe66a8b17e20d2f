// test/server-character-delete-refused-move.test.ts — a character's delete whose folder cannot be moved aside (an
// immutable folder, `chattr +i`; here a rename that answers EPERM, and chattr where the machine allows it): the reply
// names that folder and why, says nothing was deleted and what to do about the folder, and the character stays whole
// (rows, folders, no deleted_folders record). Before, the reply was 500 "cannot write to the data folder … (EPERM …
// at …/characters/.deleted-<id>-<ms>) … make its data folder writable, or start it with another one": a path that
// was never made, advice about the whole data folder, and no word of the character being kept.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { canRefuseRemoval, refuseFolderRename } from './helpers/refuse-removal.js';
import { multipartBody, solidPng } from './helpers/server-fixtures.js';
import { withStderrCaptured } from './helpers/stderr-capture.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

/** Folders whose rename answers EPERM, as an immutable folder's does; every other rename is the real one. */
const refusedRenames = vi.hoisted(() => new Set<string>());

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const renameSync: typeof fs.renameSync = (from, to) => {
    if (!refusedRenames.has(String(from))) return fs.renameSync(from, to);
    throw Object.assign(new Error(`EPERM: operation not permitted, rename '${from}' -> '${to}'`), {
      code: 'EPERM',
      syscall: 'rename',
      path: String(from),
      dest: String(to),
    });
  };
  return { ...fs, renameSync, default: { ...fs, renameSync } };
});

const { makeApp } = appsClosedAfterEach('character-delete-refused-move');

/** A character with one screenshot and a finished train job with a file in its folder (moved after the character's). */
async function characterWithFiles(app: FastifyInstance) {
  const characterId = await createCharacter(app);
  const upload = await app.inject({
    method: 'POST',
    url: `/api/characters/${characterId}/images`,
    ...multipartBody([{ filename: 'a.png', data: await solidPng() }]),
  });
  expect(upload.statusCode).toBe(201);
  const job = app.jobStore.createJob('train', characterId, {});
  app.jobStore.transition(job.id, 'running');
  app.jobStore.transition(job.id, 'succeeded');
  const characterDir = join(app.dataDir, 'characters', characterId);
  const jobDir = join(app.dataDir, 'jobs', job.id);
  mkdirSync(join(jobDir, 'mina'), { recursive: true });
  writeFileSync(join(jobDir, 'mina', 'mina.safetensors'), 'lora');
  return { characterId, jobId: job.id, characterDir, jobDir };
}

/** DELETE /api/characters/:id, with what it writes on stderr (the server's lines without --log). */
function deleteCapturingStderr(app: FastifyInstance, characterId: string) {
  return withStderrCaptured(() => app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` }));
}

/** The character is as it was: listed, its screenshot and job there, its folders under their names, none recorded. */
async function expectKeptWhole(app: FastifyInstance, scene: Awaited<ReturnType<typeof characterWithFiles>>) {
  const { characterId, jobId, characterDir, jobDir } = scene;
  expect((await app.inject({ method: 'GET', url: `/api/characters/${characterId}` })).statusCode).toBe(200);
  const images = await app.inject({ method: 'GET', url: `/api/characters/${characterId}/images` });
  expect(images.json().images).toHaveLength(1);
  expect(app.jobStore.getJob(jobId).status).toBe('succeeded');
  expect(readdirSync(join(characterDir, 'uploads'))).toHaveLength(1);
  expect(readdirSync(join(app.dataDir, 'characters'))).toEqual([characterId]);
  expect(readdirSync(join(app.dataDir, 'jobs'))).toEqual([jobId]);
  expect(existsSync(join(jobDir, 'mina', 'mina.safetensors'))).toBe(true);
  expect(app.catalog.db.prepare('SELECT path FROM deleted_folders').all()).toEqual([]);
}

/** The reply names `folder` and why, says nothing was deleted and what to do; never a marked name or the data folder. */
function expectRefusal(body: string, folder: string, codes: string) {
  const { error } = JSON.parse(body) as { error: { code: string; message: string } };
  expect(error.code).toBe('TL_ERR_OUTPUT_WRITE');
  expect(error.message).toMatch(
    new RegExp(
      `^could not move ${folder} aside \\((${codes}): [a-z ]+\\); nothing was deleted, the character is as it was\\. `,
    ),
  );
  expect(error.message).toMatch(/chattr -i/);
  expect(error.message).not.toMatch(/\.deleted-|data folder writable|another one/);
}

describe('a character delete whose folder cannot be moved aside', () => {
  it('answers which folder and why, that nothing was deleted and what to do; the character stays whole', async () => {
    const app = await makeApp();
    const scene = await characterWithFiles(app);
    refusedRenames.add(scene.characterDir);
    try {
      const { result: res, written } = await deleteCapturingStderr(app, scene.characterId);
      expect(res.statusCode).toBe(500);
      expectRefusal(res.body, scene.characterDir, 'EPERM');
      // whoever runs the server reads it too
      expect(written.join('')).toContain(`could not move ${scene.characterDir} aside (EPERM`);
    } finally {
      refusedRenames.clear();
    }
    await expectKeptWhole(app, scene);
    // once the folder moves, the delete goes through
    expect(
      (await app.inject({ method: 'DELETE', url: `/api/characters/${scene.characterId}` })).statusCode,
    ).toBe(204);
  });

  it('a job folder refused after the character folder moved: that one is named, and the first is moved back', async () => {
    const app = await makeApp();
    const scene = await characterWithFiles(app);
    refusedRenames.add(scene.jobDir);
    try {
      const { result: res } = await deleteCapturingStderr(app, scene.characterId);
      expect(res.statusCode).toBe(500);
      expectRefusal(res.body, scene.jobDir, 'EPERM');
    } finally {
      refusedRenames.clear();
    }
    await expectKeptWhole(app, scene);
  });

  it.runIf(canRefuseRemoval())(
    'with the folder made immutable (chattr +i, or unwritable without root)',
    async () => {
      const app = await makeApp();
      const scene = await characterWithFiles(app);
      const undo = refuseFolderRename(scene.characterDir);
      try {
        const { result: res } = await deleteCapturingStderr(app, scene.characterId);
        expect(res.statusCode).toBe(500);
        expectRefusal(res.body, scene.characterDir, 'EPERM|EACCES');
      } finally {
        undo?.();
      }
      await expectKeptWhole(app, scene);
    },
  );
});

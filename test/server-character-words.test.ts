// test/server-character-words.test.ts — a character an older toonlora made with a trigger or class word today's rules
// refuse (`ze:d`, `boy.`): its prep fails saying which word, why, and how to change it (the Characters page's Rename,
// or PATCH), and PATCH /api/characters/:id changes the trigger and class word under a new character's rules. Before,
// the prep failed with the CLI's "prep settings are invalid … Set --trigger or prep.trigger", and PATCH could only
// rename: such a character could never be prepped again.
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createPrepRunner } from '../src/jobs/runners/prep-runner.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('character-words');

/** Gives character `id` the words an older toonlora allowed (`ze:d`, `boy.`), as its database row holds them. */
function olderWords(app: FastifyInstance, id: string): void {
  app.catalog.db
    .prepare('UPDATE characters SET trigger = ?, class_word = ? WHERE id = ?')
    .run('ze:d', 'boy.', id);
}

const patch = (app: FastifyInstance, id: string, payload: object) =>
  app.inject({ method: 'PATCH', url: `/api/characters/${id}`, payload });

describe('a character with a trigger or class word only an older toonlora allowed', () => {
  it('its prep fails naming the word, why, and where to change it', async () => {
    const app = await makeApp({ runners: (deps) => ({ prep: createPrepRunner(deps) }) });
    const { characterId } = await seedDataset(app);
    olderWords(app, characterId);
    const job = app.queue.submit('prep', characterId, {});
    await app.queue.whenIdle();
    const after = app.jobStore.getJob(job.id);
    expect(after.status).toBe('failed');
    expect(after.error?.code).toBe('TL_ERR_CONFIG');
    expect(after.error?.message).toMatch(
      /^character "Mina": its trigger "ze:d" \(one word: no spaces .*\) and its class word "boy\." \(.*\) are no longer accepted \(an older toonlora allowed them\)\. Change them on the Characters page \(Rename: the trigger and class word are there too\), or with PATCH \/api\/characters\/\S+, then prep again; dataset versions built before keep their captions\.$/,
    );
    expect(after.error?.message).not.toContain('--trigger');
  }, 30_000);

  it('PATCH changes the trigger and class word; the dataset versions built before keep their captions', async () => {
    const app = await makeApp();
    const { characterId, datasetId } = await seedDataset(app);
    olderWords(app, characterId);
    const captionsBefore = app.catalog.listDatasetItems(datasetId).map((item) => item.caption);
    const res = await patch(app, characterId, { trigger: 'zed_tl', classWord: 'boy' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: characterId, name: 'Mina', trigger: 'zed_tl', classWord: 'boy' });
    expect(app.catalog.getCharacter(characterId)).toMatchObject({ trigger: 'zed_tl', classWord: 'boy' });
    expect(app.catalog.listDatasetItems(datasetId).map((item) => item.caption)).toEqual(captionsBefore);
  }, 30_000);

  it('PATCH refuses a word a new character could not have, an empty body, and changes nothing when the name is taken', async () => {
    const app = await makeApp();
    const mina = await createCharacter(app);
    await createCharacter(app, {}, 'Sora');
    const bad = await patch(app, mina, { trigger: 'ze:d' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('body.trigger');
    const empty = await patch(app, mina, {});
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error.message).toContain('give name, trigger or classWord');
    const clash = await patch(app, mina, { name: 'sora', trigger: 'new_tl' });
    expect(clash.statusCode).toBe(409);
    expect(app.catalog.getCharacter(mina)).toMatchObject({
      name: 'Mina',
      trigger: 'mina_tl',
      classWord: 'girl',
    });
  }, 30_000);
});

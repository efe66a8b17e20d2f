// test/server-busy-delete-web-words.test.ts — a character's delete refused (409) while its jobs are not done, and a
// screenshot's removal refused while the running dataset build reads it: API clients get the cancel route in the
// message; the Characters and Screenshots pages, from the reply's details, say where a web user cancels (the
// character's Train / Generate / Screenshots page, the build's "Cancel the build") and name no route, flag or
// command. Before, both pages showed the API's "(the Cancel button by its status, or POST /api/jobs/<id>/cancel)",
// though the Characters page has no Cancel button and a web user sends no POST.
import { describe, expect, it } from 'vitest';
import { cliWordsIn } from '../src/jobs/job-error-hints.js';
import { characterBusyWords, screenshotBusyWords } from '../web/src/components/busy-delete-words.js';
import { multipartBody, solidPng } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('busy-delete-web-words');

/** The refusal as the web app's ApiError carries it (status, code, details). */
const asApiError = (status: number, body: { error: { code: string; details?: unknown } }) => ({
  status,
  code: body.error.code,
  details: body.error.details,
});

const expectWebWords = (shown: string) => {
  expect(shown).not.toMatch(/\/api\/|POST|Cancel button/);
  expect(cliWordsIn(shown)).toEqual([]);
};

describe('a delete refused while jobs that are not done use the thing', () => {
  it('names the cancel route for API clients, and the pages of the character for each job on the Characters page', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app, {}, 'Mina');
    const train = app.jobStore.createJob('train', characterId, {});
    app.jobStore.transition(train.id, 'running');
    const res = await app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.message).toBe(
      `character Mina (${characterId}) has a job that is not done: train job ${train.id} (running). Cancel it ` +
        `(POST /api/jobs/${train.id}/cancel) or let it finish, then delete the character.`,
    );
    expect(res.json().error.details).toEqual({
      jobIds: [train.id],
      jobs: [{ id: train.id, kind: 'train', status: 'running' }],
    });
    const one = characterBusyWords(asApiError(409, res.json()), 'Mina');
    expect(one).toBe(
      `The character Mina was not deleted: a job of it is not done (training ${train.id}, running). Cancel it on its ` +
        'Train page or let it finish, then delete the character.',
    );
    expectWebWords(one ?? '');

    const generate = app.jobStore.createJob('generate', characterId, {});
    const prep = app.jobStore.createJob('prep', characterId, {});
    const three = await app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` });
    expect(three.json().error.message).toContain(
      'Cancel them (POST /api/jobs/<id>/cancel, each) or let them finish',
    );
    const words = characterBusyWords(asApiError(409, three.json()), 'Mina');
    expect(words).toBe(
      `The character Mina was not deleted: 3 jobs of it are not done (training ${train.id}, running; generation ` +
        `${generate.id}, queued; dataset build ${prep.id}, queued). Cancel them on its Train, Generate and Screenshots ` +
        'pages or let them finish, then delete the character.',
    );
    expectWebWords(words ?? '');
  });

  it('names the cancel route for API clients, and "Cancel the build" on the Screenshots page', async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app, {}, 'Rin');
    const upload = await app.inject({
      method: 'POST',
      url: `/api/characters/${characterId}/images`,
      ...multipartBody([{ filename: 'rin-01.png', data: await solidPng(65, 65) }]),
    });
    const imageId: string = upload.json().uploaded[0].id;
    const prep = app.jobStore.createJob('prep', characterId, {});
    app.jobStore.transition(prep.id, 'running');
    const res = await app.inject({ method: 'DELETE', url: `/api/images/${imageId}` });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.message).toBe(
      `image ${imageId} (rin-01.png) is being read by the running prep job ${prep.id}. Remove it once that job has ` +
        `ended, or cancel that job (POST /api/jobs/${prep.id}/cancel).`,
    );
    const words = screenshotBusyWords(asApiError(409, res.json()), 'rin-01.png');
    expect(words).toBe(
      `The screenshot rin-01.png was not removed: the dataset build that is running (job ${prep.id}) reads it. ` +
        'Remove it once the build has ended, or stop the build with "Cancel the build" on this page.',
    );
    expectWebWords(words ?? '');
  });

  it('leaves any other refusal to the banner', () => {
    const notFound = { status: 404, code: 'TL_ERR_NOT_FOUND', details: {} };
    expect(characterBusyWords(notFound, 'Mina')).toBeNull();
    expect(screenshotBusyWords(notFound, 'a.png')).toBeNull();
    // a 409 of another kind (no jobs named) keeps the server's words
    const other = { status: 409, code: 'TL_ERR_CONFLICT', details: { name: 'Mina' } };
    expect(characterBusyWords(other, 'Mina')).toBeNull();
    expect(screenshotBusyWords(other, 'a.png')).toBeNull();
  });
});

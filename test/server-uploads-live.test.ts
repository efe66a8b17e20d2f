// test/server-uploads-live.test.ts — the Upload page's stream (GET /api/characters/:id/stream) pushes what changed
// (no poll): `uploads` when an upload stored screenshots or a Remove took one away, `prep` when one of the
// character's prep jobs is submitted or changes status; another character's changes and a train job send nothing.
// Against a listening server (the stream's reply stays open).
import { get, type IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { uploadsLiveHub } from '../src/server/routes/images/uploads-live.js';
import { multipartBody, parseSse, seedDataset, solidPng, untilStopped } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('uploads-live');
const open: IncomingMessage[] = [];
afterEach(() => {
  for (const response of open.splice(0)) response.destroy();
});

/** A job that runs until it is cancelled. */
const held = (context: JobContext): Promise<never> => untilStopped(context.signal);

/** The app's address, listening (once per app). */
async function listening(app: FastifyInstance): Promise<string> {
  const address = app.server.address();
  if (address && typeof address === 'object') return `http://127.0.0.1:${address.port}`;
  return app.listen({ host: '127.0.0.1', port: 0 });
}

/** Character `characterId`'s stream on a listening app: the events it sent so far, by name (data checked);
 * `ended()` settles when the server ends the stream. */
async function follow(app: FastifyInstance, characterId: string) {
  const base = await listening(app);
  let text = '';
  let ended: Promise<void> = Promise.resolve();
  await new Promise<void>((resolve, reject) => {
    get(`${base}/api/characters/${characterId}/stream`, (response) => {
      open.push(response);
      expect(response.headers['content-type']).toBe('text/event-stream');
      response.setEncoding('utf8');
      ended = new Promise((done) => response.on('end', done));
      response.on('data', (chunk: string) => {
        text += chunk;
        resolve();
      });
    }).on('error', reject);
  });
  const events = () =>
    parseSse(text).map((event) => {
      expect(event.id).toBeUndefined();
      expect(event.data).toEqual({ characterId });
      return event.event;
    });
  return Object.assign(events, { ended: () => ended });
}

describe("the Upload page's stream", () => {
  it("sends `uploads` for an upload and a removal, `prep` for each prep status, nothing for others'", async () => {
    const app = await makeApp({ runners: { prep: held, train: held } });
    const { characterId, datasetId } = await seedDataset(app);
    const other = await createCharacter(app, {}, 'Rin');
    const events = await follow(app, characterId);
    const upload = async (id: string) =>
      app.inject({
        method: 'POST',
        url: `/api/characters/${id}/images`,
        ...multipartBody([{ filename: 'a.png', data: await solidPng(80, 80) }]),
      });
    expect((await upload(other)).statusCode).toBe(201);
    const uploaded = await upload(characterId);
    expect(uploaded.statusCode).toBe(201);
    await expect.poll(events).toEqual(['uploads']);
    // the same bytes again store nothing: no event
    expect((await upload(characterId)).statusCode).toBe(200);
    const imageId = uploaded.json().uploaded[0].id;
    expect((await app.inject({ method: 'DELETE', url: `/api/images/${imageId}` })).statusCode).toBe(204);
    await expect.poll(events).toEqual(['uploads', 'uploads']);
    // a train job of this character and a prep of another's: nothing; this character's prep: queued, running, ended
    const train = app.queue.submit('train', characterId, { datasetId });
    app.queue.cancel(train.id);
    app.queue.cancel(app.queue.submit('prep', other, {}).id);
    const prep = app.queue.submit('prep', characterId, {});
    await expect.poll(events).toEqual(['uploads', 'uploads', 'prep', 'prep']);
    app.queue.cancel(prep.id);
    await expect.poll(events).toEqual(['uploads', 'uploads', 'prep', 'prep', 'prep']);
  }, 30_000);

  it("has one hub per server: a change told through the root instance reaches the image routes' streams", async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const events = await follow(app, characterId);
    // before, the hub was per plugin instance: the root's was another, with no followers
    uploadsLiveHub(app).uploadsChanged(characterId);
    await expect.poll(events).toEqual(['uploads']);
  });

  it("ends the streams of a deleted character (the page then reads 404), and no other character's", async () => {
    const app = await makeApp();
    const characterId = await createCharacter(app);
    const other = await createCharacter(app, {}, 'Rin');
    const gone = await follow(app, characterId);
    const kept = await follow(app, other);
    let keptEnded = false;
    void kept.ended().then(() => {
      keptEnded = true;
    });
    // before, the deleted character's stream stayed open with only keep-alives: the Upload page never knew
    expect((await app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` })).statusCode).toBe(
      204,
    );
    await gone.ended();
    expect(gone()).toEqual([]);
    const reopened = await app.inject({ method: 'GET', url: `/api/characters/${characterId}/stream` });
    expect(reopened.statusCode).toBe(404);
    // the other character's stream stays open and still hears its changes
    uploadsLiveHub(app).uploadsChanged(other);
    await expect.poll(kept).toEqual(['uploads']);
    expect(keptEnded).toBe(false);
  }, 20_000);

  it('answers 404 for a character that does not exist', async () => {
    const app = await makeApp();
    const res = await app.inject({
      method: 'GET',
      url: '/api/characters/00000000-0000-4000-8000-000000000000/stream',
    });
    expect(res.statusCode).toBe(404);
  });
});

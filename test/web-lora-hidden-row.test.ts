// test/web-lora-hidden-row.test.ts — two LoRA rows an older toonlora recorded for one file list as one (the newest),
// in chromium against a real server on loopback: a generate job made with the older row reopens with the listed
// LoRA chosen and Generate sends the job (before: "(deleted LoRA)", Generate refused on the field), and a LoRA page
// address naming the older row shows that LoRA (before: "This character has no LoRA with the id …").
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqliteDatabase } from '../src/jobs/database.js';
import { trainedLora } from './helpers/trained-lora.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;

beforeAll(async () => {
  web = await startWebSession('web-lora-hidden-row', { runners: {} });
  web.page.on('dialog', (dialog) => void dialog.accept()); // Generate's "base not downloaded"
}, 180_000);

afterAll(() => web?.close());

/** A trained LoRA with a second, newer row at its path, as an older toonlora recorded a resumed job's LoRA. */
async function loraWithTwoRows(characterName: string) {
  const { characterId, train, lora: older } = await trainedLora(web.app, characterName);
  const newer = crypto.randomUUID();
  // the store's own connection (the database is opened for this process alone)
  const { db } = web.app.catalog as unknown as { db: SqliteDatabase };
  db.prepare(
    "INSERT INTO artifacts (id, character_id, job_id, kind, name, path, meta, created_at) VALUES (?, ?, ?, 'lora', 'mina', ?, ?, ?)",
  ).run(
    newer,
    characterId,
    train.id,
    `jobs/${train.id}/mina/mina.safetensors`,
    // what the listed row says of the LoRA: the page generates on its base, at its size
    JSON.stringify({ baseModel: 'tiny', resolution: 64 }),
    new Date(Date.parse(older.createdAt) + 1000).toISOString(),
  );
  return { characterId, older: older.id, newer };
}

const selectedLora = () => web.page.locator('select').first().inputValue();

describe("web app: an older row of a listed LoRA's file", () => {
  it('reopens a generate job made with it with the listed LoRA chosen, and Generate sends the job', async () => {
    const { characterId, older, newer } = await loraWithTwoRows('Eve');
    const job = web.app.jobStore.createJob('generate', characterId, {
      loraId: older,
      generation: { prompt: 'mina_tl, 1girl, smiling' },
    });
    web.app.jobStore.transition(job.id, 'running');
    web.app.jobStore.transition(job.id, 'succeeded');

    await web.page.goto(`${web.url}/#/c/${characterId}/generate`);
    await expect.poll(selectedLora).toBe(newer);
    await expect(web.page.locator('[data-testid=lora-deleted]').count()).resolves.toBe(0);
    // this server has no generate runner: the job the page sends is refused there, after the page let it go
    const sent = web.page.waitForRequest(
      (request) => request.method() === 'POST' && new URL(request.url()).pathname === '/api/jobs',
    );
    await web.page.click('button[type=submit]');
    expect((await sent).postDataJSON()).toMatchObject({
      kind: 'generate',
      params: { loraId: older, generation: { baseModel: 'tiny', width: 64, height: 64 } },
    });
    await expect(web.page.locator('[data-testid=form-error]').count()).resolves.toBe(0);
  }, 90_000);

  it('shows that LoRA for a LoRA page address naming the older row', async () => {
    const { characterId, older, newer } = await loraWithTwoRows('Fay');
    await web.page.goto(`${web.url}/#/c/${characterId}/lora/${older}`);
    await web.page.waitForSelector('[data-testid=delete-lora]');
    await expect.poll(selectedLora).toBe(newer);
    await expect.poll(() => new URL(web.page.url()).hash).toBe(`#/c/${characterId}/lora/${newer}`);
    await expect(web.page.getByText('This character has no LoRA with the id').count()).resolves.toBe(0);
  }, 90_000);
});

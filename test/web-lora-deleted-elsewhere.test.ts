// test/web-lora-deleted-elsewhere.test.ts — the pages around a deleted LoRA, in chromium against a real server on
// loopback: a train job's "Open the LoRA" shows that job's LoRA (not a newer upload) and its address, once that
// LoRA is deleted, says so; the Generate page reopening a job whose LoRA was deleted keeps that choice and says it
// was deleted (no switch to the newest); a tab that learns of a delete only when it uses the LoRA (Generate, the
// LoRA page's Delete) says it was deleted elsewhere instead of the API's "artifact … not found".
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainedLora } from './helpers/trained-lora.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let url: string;
let page: Page;

beforeAll(async () => {
  web = await startWebSession('web-lora-deleted-elsewhere', { runners: {} });
  ({ url, page } = web);
  page.on('dialog', (dialog) => void dialog.accept()); // Delete's question, Generate's "base not downloaded"
}, 180_000);

afterAll(() => web?.close());

/** A LoRA row of `characterId` with no train job (an upload), its file written. */
function uploadedLora(app: FastifyInstance, characterId: string, name: string) {
  return app.catalog.addArtifact({
    characterId,
    jobId: null,
    kind: 'lora',
    name,
    path: `characters/${characterId}/loras/${name}.safetensors`,
    meta: {},
  });
}

const deleteLora = async (id: string) =>
  expect((await web.app.inject({ method: 'DELETE', url: `/api/loras/${id}` })).statusCode).toBe(204);
const selectedLora = () => page.locator('select').first().inputValue();
const generateJobs = (characterId: string) =>
  web.app.jobStore.listJobs({ kind: 'generate' }).filter((job) => job.characterId === characterId);

describe('web app: a LoRA deleted', () => {
  it("opens a train job's own LoRA, not a newer upload; its address says once it was deleted", async () => {
    const { characterId, lora } = await trainedLora(web.app, 'Ann');
    const upload = uploadedLora(web.app, characterId, 'other');
    await page.goto(`${url}/#/c/${characterId}/train`);
    await page.click('text=Open the LoRA →');
    await page.waitForSelector('[data-testid=delete-lora]');
    await expect(selectedLora()).resolves.toBe(lora.id); // before: the upload, the newest
    expect(new URL(page.url()).hash).toBe(`#/c/${characterId}/lora/${lora.id}`);

    await deleteLora(lora.id);
    await page.reload();
    await page.waitForSelector(
      'text=The LoRA this link opens is no longer on the server (it was deleted); the newest LoRA is shown instead.',
    );
    await expect(selectedLora()).resolves.toBe(upload.id);
    expect(new URL(page.url()).hash).toBe(`#/c/${characterId}/lora/${upload.id}`);
  }, 90_000);

  it('reopens a generate job whose LoRA was deleted with that choice kept, saying so', async () => {
    const { characterId, lora } = await trainedLora(web.app, 'Bea');
    const newest = uploadedLora(web.app, characterId, 'newest');
    const job = web.app.jobStore.createJob('generate', characterId, {
      loraId: lora.id,
      generation: { prompt: 'mina_tl, 1girl, smiling' },
    });
    web.app.jobStore.transition(job.id, 'running');
    web.app.jobStore.transition(job.id, 'succeeded');
    await deleteLora(lora.id);

    await page.goto(`${url}/#/c/${characterId}/generate`);
    const words =
      'The LoRA this job used was deleted (on the LoRA page, perhaps in another tab). Choose another LoRA, or "(none)" for the base model alone.';
    await page.waitForSelector(`[data-testid=lora-deleted]:has-text('${words}')`);
    await expect(selectedLora()).resolves.toBe(lora.id);
    await page.click('button[type=submit]');
    await page.waitForSelector(`[data-testid=form-error]:has-text('${words}')`);
    expect(generateJobs(characterId)).toHaveLength(1); // nothing sent
    await page.selectOption('select', newest.id);
    await expect(page.locator('[data-testid=form-error]').count()).resolves.toBe(0);
    await expect(page.locator('[data-testid=lora-deleted]').count()).resolves.toBe(0);
  }, 90_000);

  it('says a LoRA deleted in another tab was deleted when Generate uses it, and on coming back to the tab', async () => {
    const { characterId, lora } = await trainedLora(web.app, 'Cat');
    await page.goto(`${url}/#/c/${characterId}/generate`);
    await expect.poll(selectedLora).toBe(lora.id);
    await deleteLora(lora.id); // "another tab"
    await page.click('button[type=submit]');
    await page.waitForSelector(
      "[data-testid=form-error]:has-text('The LoRA mina was deleted (on the LoRA page, perhaps in another tab).')",
    );
    await expect(page.locator('div.error[role=alert]').count()).resolves.toBe(0); // no "artifact … not found" banner
    await expect(page.locator('select option[disabled]').textContent()).resolves.toBe('mina (deleted)');
    expect(generateJobs(characterId)).toEqual([]);

    // back to this tab after a delete elsewhere: the list is read again, and the page says so before Generate
    const second = await trainedLora(web.app, 'Rin');
    await page.goto(`${url}/#/c/${second.characterId}/generate`);
    await expect.poll(selectedLora).toBe(second.lora.id);
    await deleteLora(second.lora.id);
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await page.waitForSelector('[data-testid=lora-deleted]:has-text("The LoRA mina was deleted")');
  }, 90_000);

  it("says a LoRA deleted in another tab was deleted when the LoRA page's Delete finds it gone", async () => {
    const { characterId, lora } = await trainedLora(web.app, 'Dot');
    await page.goto(`${url}/#/c/${characterId}/lora`);
    await page.waitForSelector('[data-testid=delete-lora]');
    await deleteLora(lora.id);
    await page.click('[data-testid=delete-lora]');
    await page.waitForSelector(
      '[data-testid=lora-gone]:has-text("The LoRA mina was deleted elsewhere (another tab or another user).")',
    );
    await page.waitForSelector('text=No LoRA yet: train one, or upload one made elsewhere.');
    await expect(page.locator('div.error[role=alert]').count()).resolves.toBe(0);
  }, 90_000);
});

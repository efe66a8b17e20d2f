// test/web-generate-reread-page-gone.test.ts — the Generate page's re-read of the LoRA list after the server refused
// a Generate whose LoRA was deleted in another tab is a read: its failure answered after the user went on to another
// page is not shown there (shown-page.ts). Before, it showed on that page, "… (from Cat: Generate)". In chromium
// against a real server on loopback; the late answer is the test's own (page.route).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyAnswer } from './helpers/busy-answer.js';
import { sleep } from './helpers/held-requests.js';
import { trainedLora } from './helpers/trained-lora.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;

beforeAll(async () => {
  web = await startWebSession('web-generate-reread-page-gone', { runners: {} });
  web.page.on('dialog', (dialog) => void dialog.accept()); // Generate's "base not downloaded"
}, 180_000);

afterAll(() => web?.close());

describe('Generate refused for a LoRA deleted elsewhere, the user gone on before the LoRA list came back', () => {
  it("the list's failure shows no banner on the page the user went to", async () => {
    const { page, url, app } = web;
    const { characterId, lora } = await trainedLora(app, 'Cat');
    await page.goto(`${url}/#/c/${characterId}/generate`);
    await expect.poll(() => page.locator('select').first().inputValue()).toBe(lora.id);
    // deleted in another tab: the page learns of it from Generate's 404
    expect((await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` })).statusCode).toBe(204);
    let refused = false;
    let rereads = 0;
    const jobs = '**/api/jobs';
    const lists = '**/api/artifacts?*';
    // Generate's 404, noted before the page gets it: the next LoRA list read is the page's re-read
    await page.route(jobs, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      const response = await route.fetch();
      refused = response.status() === 404;
      await route.fulfill({ response });
    });
    await page.route(lists, async (route) => {
      if (!refused || rereads > 0) return route.continue();
      rereads += 1;
      await sleep(1_500);
      await route.fulfill(busyAnswer).catch(() => {});
    });
    try {
      await page.click('button[type=submit]');
      await expect.poll(() => refused, { timeout: 10_000 }).toBe(true);
      await page.locator('nav a', { hasText: 'Train' }).click();
      await page.waitForSelector('h1:has-text("Cat: Train")');
      await expect.poll(() => rereads, { timeout: 10_000 }).toBeGreaterThan(0);
      await sleep(2_500);
      // before: "the server is busy, try again in a minute (from Cat: Generate)"
      expect(await page.getByRole('alert').allTextContents()).toEqual([]);
    } finally {
      await page.unroute(lists);
      await page.unroute(jobs);
    }
  }, 90_000);
});

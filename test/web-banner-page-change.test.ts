// test/web-banner-page-change.test.ts — the error banner goes with the page that showed it, however the user leaves
// that page: a header link to another top-level page, Back/Forward, an address typed. Before, it was cleared only
// when the character or the tab changed: a Pull refused on Models stayed on Characters, with no "(from Models)".
// A write refused after the user left still shows there, naming its page (shown-page.ts). In chromium against a
// real server on loopback; the refusals are the test's own (page.route).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSY, busyAnswer } from './helpers/busy-answer.js';
import { sleep } from './helpers/held-requests.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;

beforeAll(async () => {
  web = await startWebSession('web-banner-page-change');
}, 180_000);

afterAll(() => web?.close());

const MODEL = 'wd-vit-tagger-v3';
const pullUrl = `**/api/models/${MODEL}/pull`;

/** Opens Models and clicks the model's Pull, which the server refuses (after `delayMs`). */
async function refusedPull(delayMs = 0): Promise<void> {
  const page = web.page;
  await page.route(pullUrl, async (route) => {
    await sleep(delayMs);
    await route.fulfill(busyAnswer).catch(() => {});
  });
  await page.goto(`${web.url}/#/models`);
  await page.locator(`[data-testid=model-row][data-model="${MODEL}"] [data-testid=pull-model]`).click();
}

const alerts = () => web.page.getByRole('alert').allTextContents();

describe('the error banner after the user left the page that showed it', () => {
  it('goes on a header link, Back, Forward and a typed address, and does not come back', async () => {
    const page = web.page;
    try {
      await refusedPull();
      await page.getByRole('alert').waitFor();
      expect(await alerts()).toEqual([BUSY]);

      await page.click('a.brand');
      await page.waitForSelector('h1:has-text("Characters")');
      // before: "the server is busy, try again in a minute" on Characters, naming no page
      expect(await alerts()).toEqual([]);
      await page.goBack();
      await page.locator(`[data-testid=model-row][data-model="${MODEL}"]`).waitFor();
      expect(await alerts()).toEqual([]);

      await page.locator(`[data-testid=model-row][data-model="${MODEL}"] [data-testid=pull-model]`).click();
      await page.getByRole('alert').waitFor();
      await page.goForward();
      await page.waitForSelector('h1:has-text("Characters")');
      expect(await alerts()).toEqual([]);

      await page.goBack();
      await page.locator(`[data-testid=model-row][data-model="${MODEL}"] [data-testid=pull-model]`).click();
      await page.getByRole('alert').waitFor();
      await page.evaluate(() => {
        window.location.hash = '#/zzz';
      });
      await page.waitForSelector('[data-testid=not-found]');
      expect(await alerts()).toEqual([]);
    } finally {
      await page.unroute(pullUrl);
    }
  }, 60_000);

  it('a Pull refused after the user went on to Characters shows there, naming Models', async () => {
    const page = web.page;
    try {
      await refusedPull(1_500);
      await page.click('a.brand');
      await page.waitForSelector('h1:has-text("Characters")');
      const alert = page.getByRole('alert');
      await alert.waitFor({ timeout: 10_000 });
      expect(await alerts()).toEqual([`${BUSY} (from Models)`]);
    } finally {
      await page.unroute(pullUrl);
    }
  }, 60_000);
});

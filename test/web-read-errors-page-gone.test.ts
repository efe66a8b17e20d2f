// test/web-read-errors-page-gone.test.ts — the failure of a read that answers after the user went on to another page
// is not shown there (shown-page.ts: only a write's failure is, naming the page it came from). Before, three reads
// were not marked as reads and their error showed on the next page, "… (from Mina: Screenshots)": a thumbnail's
// probe (the API asked why an image did not load) and the Models page's pull stream sending a line the page cannot
// read. That stream is no longer opened once the page is gone (web-models-pull-page-gone.test.ts), so its line never
// comes. In chromium against a real server on loopback; the late answers are the test's own (page.route).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startedPull } from '../web/src/components/model-pull-testing.js';
import { busyAnswer } from './helpers/busy-answer.js';
import { sleep } from './helpers/held-requests.js';
import { solidPng } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;

beforeAll(async () => {
  web = await startWebSession('web-read-errors-page-gone');
}, 180_000);

afterAll(() => web?.close());

describe("a read's failure answered after the user left its page", () => {
  it("a thumbnail's probe refused after the user opened the Train tab shows no banner there", async () => {
    const page = web.page;
    const character = web.app.catalog.createCharacter({
      name: 'Mina',
      trigger: 'mina_tl',
      classWord: 'girl',
    });
    await page.goto(`${web.url}/#/c/${character.id}/upload`);
    await page.waitForSelector('h1:has-text("Mina: Screenshots")');
    await page.setInputFiles('[data-testid=upload-input]', [
      { name: 'one.png', mimeType: 'image/png', buffer: await solidPng(64, 64) },
    ]);
    const thumbnail = page.locator('img[alt="one.png"]');
    await thumbnail.waitFor();
    const src = new URL((await thumbnail.getAttribute('src')) ?? '', web.url);
    const pattern = `**${src.pathname}*`;
    let probes = 0;
    // the <img> fails; the page's probe (HEAD, then GET for the error) is answered only after the user went on
    await page.route(pattern, async (route) => {
      if (route.request().resourceType() === 'image') return route.fulfill({ status: 404 });
      probes += 1;
      await sleep(1_500);
      await route.fulfill(busyAnswer).catch(() => {});
    });
    try {
      await page.reload();
      await page.waitForSelector('[data-testid=image-failed]');
      await page.locator('nav a', { hasText: 'Train' }).click();
      await page.waitForSelector('h1:has-text("Mina: Train")');
      await expect.poll(() => probes, { timeout: 10_000 }).toBeGreaterThan(0);
      await sleep(3_000);
      // before: "the server is busy, try again in a minute (from Mina: Screenshots)"
      expect(await page.getByRole('alert').allTextContents()).toEqual([]);
    } finally {
      await page.unroute(pattern);
    }
  }, 60_000);

  it('a pull started just before the user left the Models page opens no stream there, so no banner', async () => {
    const page = web.page;
    const model = 'wd-vit-tagger-v3';
    const pullUrl = `**/api/models/${model}/pull`;
    const streamUrl = `${pullUrl}/stream`;
    const running = startedPull(model);
    let streams = 0;
    // the pull starts (answered after the user went on); a stream opened for it would send a line that is not JSON
    await page.route(pullUrl, async (route) => {
      await sleep(1_500);
      await route.fulfill({ status: 202, contentType: 'application/json', body: JSON.stringify(running) });
    });
    await page.route(streamUrl, async (route) => {
      streams += 1;
      await route.fulfill({
        status: 200,
        contentType: 'text/event-stream',
        body: 'event: pull\ndata: {oops\n\n',
      });
    });
    try {
      await page.goto(`${web.url}/#/models`);
      const answered = page.waitForResponse((response) =>
        new URL(response.url()).pathname.endsWith(`/api/models/${model}/pull`),
      );
      await page.locator(`[data-testid=model-row][data-model="${model}"] [data-testid=pull-model]`).click();
      await page.click('a.brand');
      await page.waitForSelector('h1:has-text("Characters")');
      await answered;
      await sleep(2_000);
      // before: the stream opened here, on the Characters page, and kept trying while the pull ran
      expect(streams).toBe(0);
      // before: "The server sent a pull event for wd-vit-tagger-v3 this page cannot read (not JSON). Reload the
      // page. (from Models)"
      expect(await page.getByRole('alert').allTextContents()).toEqual([]);
    } finally {
      await page.unroute(streamUrl);
      await page.unroute(pullUrl);
    }
  }, 60_000);
});

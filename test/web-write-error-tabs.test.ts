// test/web-write-error-tabs.test.ts — a write that fails after the user went on to another tab still shows its
// error, naming the page it came from (an upload batch refused with 507 after the user opened the Train tab left
// no message: the app dropped every error of a page no longer shown, and the user believed the upload worked).
// A read's failure from a page gone stays dropped (test/web-race-lora.test.ts, its download case).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from './helpers/held-requests.js';
import { solidPng } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;

beforeAll(async () => {
  web = await startWebSession('web-write-error-tabs');
}, 180_000);

afterAll(() => web?.close());

const STORAGE_FULL = 'no space left on the data folder';

describe('a write that fails after the user changed tabs', () => {
  it('an upload refused with 507 after the user opened the Train tab shows its error there', async () => {
    const page = web.page;
    const character = web.app.catalog.createCharacter({
      name: 'Uploader',
      trigger: 'upl_tl',
      classWord: 'girl',
    });
    await page.goto(`${web.url}/#/c/${character.id}/upload`);
    await page.waitForSelector('h1:has-text("Uploader: Screenshots")');
    const uploads = `**/api/characters/${character.id}/images`;
    // the upload's POST is answered 507 (a full disk behind the server) only after the user went on
    await page.route(uploads, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await sleep(1_500);
      await route.fulfill({
        status: 507,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'TL_ERR_STORAGE', message: STORAGE_FULL } }),
      });
    });
    try {
      const png = await solidPng(256, 256);
      await page.setInputFiles('[data-testid=upload-input]', [
        { name: 'one.png', mimeType: 'image/png', buffer: png },
      ]);
      await page.locator('nav a', { hasText: 'Train' }).click();
      await page.waitForSelector('h1:has-text("Uploader: Train")');
      const alert = page.getByRole('alert');
      await alert.waitFor({ timeout: 10_000 });
      expect(await alert.textContent()).toContain(STORAGE_FULL);
      expect(await alert.textContent()).toContain('(from Uploader: Screenshots)');
    } finally {
      await page.unroute(uploads);
    }
  }, 60_000);
});

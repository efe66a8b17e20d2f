// test/web-upload-gone.test.ts — an open Upload page whose character is deleted elsewhere (another tab, the API) says
// "No such character" at once and shows none of its screenshots. Before, the server kept the character's stream open
// with only keep-alives, so the page went on showing the screenshots and "Build dataset from 1 screenshot". And one
// opened while the server was down, whose character was deleted meanwhile, says so when the server is back (before,
// the "Cannot reach" banner stayed). In chromium against a real server.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody, solidPng } from './helpers/server-fixtures.js';
import { createCharacter } from './helpers/test-apps.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let page: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-upload-gone'));
  page = web.page;
}, 180_000);

afterAll(() => web?.close());

describe('web app: the Upload page of a character deleted elsewhere', () => {
  it('says "No such character" at once and shows none of its screenshots', async () => {
    const upload = await web.app.inject({
      method: 'POST',
      url: `/api/characters/${characterId}/images`,
      ...multipartBody([{ filename: 'kept.png', data: await solidPng(80, 80) }]),
    });
    expect(upload.statusCode).toBe(201);
    const streamOpen = page.waitForResponse((response) => response.url().endsWith(`/${characterId}/stream`));
    await page.goto(`${web.url}/#/c/${characterId}/upload`);
    await page.waitForSelector('[data-testid=uploads] figcaption:has-text("kept.png")');
    // the stream is open: then another tab deletes the character
    expect((await streamOpen).status()).toBe(200);
    const deleted = await web.app.inject({ method: 'DELETE', url: `/api/characters/${characterId}` });
    expect(deleted.statusCode).toBe(204);
    await page.waitForSelector('h1:has-text("No such character")', { timeout: 5_000 });
    expect(await page.locator('[data-testid=uploads]').count()).toBe(0);
    expect(await page.locator('text=Build dataset').count()).toBe(0);
  }, 60_000);

  it('opened while the server was down: says "No such character" when it is back, the banner gone', async () => {
    const other = await createCharacter(web.app, {}, 'Rin');
    await page.goto(`${web.url}/#/`);
    await page.waitForSelector('h1');
    // the server's going down is every /api request failing as a stopped server's do
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    await page.goto(`${web.url}/#/c/${other}/upload`);
    const banner = page.getByRole('alert').filter({ hasText: 'Cannot reach the toonlora server' });
    await banner.waitFor({ timeout: 20_000 });
    // deleted meanwhile: the retried read of the character answers 404 (before, that answer was dropped: the
    // banner stayed and the page never said the character was gone)
    expect((await web.app.inject({ method: 'DELETE', url: `/api/characters/${other}` })).statusCode).toBe(
      204,
    );
    await page.unroute('**/api/**');
    await page.waitForSelector('h1:has-text("No such character")', { timeout: 30_000 });
    await expect.poll(() => banner.count(), { timeout: 20_000 }).toBe(0);
  }, 120_000);
});

// test/web-session-restart.test.ts — the web app in chromium against a server with a token that restarts while
// the page is open: the restarted server knows no session, and the page, which has the token stored, goes on
// showing pictures (its next request with the token renews the session cookie) without the token prompt. Before
// per-session ids the cookie outlived a restart; kept in memory without the renewal, every thumbnail of the next
// page said "did not load".
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/server/server.js';
import { WEB_DIST } from './helpers/browser.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

const TOKEN = 'restart-s3cret-token';
let web: WebSession;
let firstId: string;
let secondId: string;
let restarted: FastifyInstance | undefined;

beforeAll(async () => {
  ({ web, characterId: firstId } = await startSeededWebSession('web-session-restart', { token: TOKEN }));
  ({ characterId: secondId } = await seedDataset(web.app, 'Nora'));
}, 180_000);

afterAll(async () => {
  await web?.close();
  await restarted?.close();
});

/** Resolves once the Dataset page shows its 4 thumbnails (2 items), each loaded (16 px wide). */
async function datasetImagesLoaded(): Promise<void> {
  await web.page.waitForFunction(() => {
    const images = [...document.querySelectorAll<HTMLImageElement>('[data-testid=dataset-item] img')];
    return images.length === 4 && images.every((image) => image.complete && image.naturalWidth === 16);
  });
}

describe('a server restart while the page is open', () => {
  it('leaves the pictures loading with the stored token: no prompt, no "did not load"', async () => {
    const { page } = web;
    await page.goto(`${web.url}/#/c/${firstId}/dataset`);
    await page.fill('input[name=token]', TOKEN);
    await page.click('button:has-text("Use")');
    await datasetImagesLoaded();

    const { port } = new URL(web.url);
    await web.app.close();
    restarted = (
      await startServer({
        host: '127.0.0.1',
        port: Number(port),
        dataDir: web.app.dataDir,
        webDir: WEB_DIST,
        token: TOKEN,
      })
    ).app;

    // another character's pictures: none of them is in the browser's cache
    await page.evaluate((id) => {
      window.location.hash = `#/c/${id}/dataset`;
    }, secondId);
    await page.waitForSelector(`[data-testid=dataset-item]`);
    await datasetImagesLoaded();
    await expect(page.locator('[data-testid=image-failed]').count()).resolves.toBe(0);
    await expect(page.locator('[data-testid=token-prompt]').count()).resolves.toBe(0);
  }, 90_000);
});

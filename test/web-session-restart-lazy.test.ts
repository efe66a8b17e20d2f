// test/web-session-restart-lazy.test.ts — the Dataset page in chromium, its token stored, while the server
// restarts: the thumbnails scrolled to next (lazy ones, loaded with no request of the page's own before them)
// are refused for the session cookie the restarted server does not know; the page's one probe (with the token)
// renews it, and they load again, with no "did not load" and no token prompt. Before, each showed "did not load".
import type { FastifyInstance } from 'fastify';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../src/server/server.js';
import { seedBigDataset } from './helpers/big-dataset.js';
import { WEB_DIST } from './helpers/browser.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

const TOKEN = 'lazy-restart-s3cret';
let web: WebSession;
let characterId: string;
let restarted: FastifyInstance | undefined;

beforeAll(async () => {
  web = await startWebSession('web-session-restart-lazy', { token: TOKEN });
  ({ characterId } = await seedBigDataset(web.app, 60, 16)); // more than a screen: the last rows load when scrolled to
}, 180_000);

afterAll(async () => {
  await web?.close();
  await restarted?.close();
});

/** Resolves once no image request has been on its way, nor started or ended, for a while (500 ms). */
async function imagesSettled(page: Page): Promise<void> {
  let pending = 0;
  let changedAt = Date.now();
  const count = (step: number) => (request: Request) => {
    if (request.resourceType() !== 'image') return;
    pending += step;
    changedAt = Date.now();
  };
  page.on('request', count(1));
  page.on('requestfinished', count(-1));
  page.on('requestfailed', count(-1));
  // requests already on their way before the listeners: the page's own count of unfinished images
  const unfinished = () =>
    page.$$eval('[data-testid=dataset-item] img', (images) =>
      (images as HTMLImageElement[]).some(
        (image) => !image.complete && image.getBoundingClientRect().top < innerHeight * 2,
      ),
    );
  await expect
    .poll(async () => pending <= 0 && !(await unfinished()) && Date.now() - changedAt > 500, {
      timeout: 30_000,
    })
    .toBe(true);
}

describe('lazy thumbnails after a server restart', () => {
  it('load once the probe renewed the session: no "did not load", no token prompt', async () => {
    const { page } = web;
    await page.goto(`${web.url}/#/c/${characterId}/dataset`);
    await page.fill('input[name=token]', TOKEN);
    await page.click('button:has-text("Use")');
    await page.waitForSelector('[data-testid=dataset-item] img');
    await imagesSettled(page); // none on its way while the server is down: that refusal is not the session's
    const lastRowImages = '[data-testid=dataset-item]:last-of-type img';
    await expect(
      page.$$eval(lastRowImages, (images) =>
        (images as HTMLImageElement[]).some((image) => image.complete && image.naturalWidth > 0),
      ),
    ).resolves.toBe(false); // not loaded yet: too far down for a lazy image

    const { port } = new URL(web.url);
    await web.app.close();
    const { dataDir } = web.app;
    restarted = (
      await startServer({ host: '127.0.0.1', port: Number(port), dataDir, webDir: WEB_DIST, token: TOKEN })
    ).app;

    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForFunction((selector) => {
      const images = [...document.querySelectorAll<HTMLImageElement>(selector)];
      return images.length > 0 && images.every((image) => image.complete && image.naturalWidth === 16);
    }, lastRowImages);
    await expect(page.locator('[data-testid=image-failed]').count()).resolves.toBe(0);
    await expect(page.locator('[data-testid=token-prompt]').count()).resolves.toBe(0);
  }, 120_000);
});

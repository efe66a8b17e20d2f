// test/web-image-token.test.ts — the Dataset page in two chromium tabs against a server with a token: after
// "Forget token" in one tab, the other tab's thumbnails that load then (lazy ones scrolled to) are refused (401);
// the tab brings up the token prompt (one probe of the API for them all), not a page of broken images with their
// alt text until its next request.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIST_PAGE_SIZE } from '../web/src/components/dataset-selection.js';
import { solidPng } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

const TOKEN = 'image-token-s3cret';
const ITEMS = 60; // far more than a screen: the last items' lazy thumbnails load only when scrolled to
/** The last crop the page shows before "Show 50 more": the lowest thumbnail on the page. */
const LAST_SHOWN = `i${LIST_PAGE_SIZE - 1}.png: crop`;
let web: WebSession;
let characterId: string;

beforeAll(async () => {
  web = await startWebSession('web-image-token', { token: TOKEN });
  const { app } = web;
  const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  characterId = character.id;
  const prep = app.jobStore.createJob('prep', character.id, {});
  app.jobStore.transition(prep.id, 'running');
  app.jobStore.transition(prep.id, 'succeeded', { result: {} });
  const dir = join(app.dataDir, 'jobs', prep.id, 'dataset');
  mkdirSync(dir, { recursive: true });
  const png = await solidPng(16, 16);
  const keys = Array.from({ length: ITEMS }, (_, i) => `i${String(i).padStart(2, '0')}`);
  for (const key of keys) writeFileSync(join(dir, `${key}.png`), png);
  app.catalog.createDataset({
    characterId: character.id,
    jobId: prep.id,
    dir: `jobs/${prep.id}/dataset`,
    items: keys.map((key) => ({
      key,
      source: `${key}.png`,
      imagePath: `jobs/${prep.id}/dataset/${key}.png`,
      caption: 'mina_tl, girl',
      stages: { original: null, textRemoved: null, mask: null, crop: null },
      warnings: [],
    })),
    skipped: [],
  });
}, 180_000);

afterAll(() => web?.close());

const giveToken = async (page: Page) => {
  await page.fill('input[name=token]', TOKEN);
  await page.click('button:has-text("Use")');
  await page.waitForSelector('[data-testid=dataset-item]');
};

describe('Dataset page thumbnails after "Forget token" in another tab', () => {
  it('bring up the token prompt with one probe, and the images load again once the token is given', async () => {
    const tabA = web.page;
    await tabA.goto(`${web.url}/#/c/${characterId}/dataset`);
    await giveToken(tabA);
    const tabB = await web.browser.newPage();
    await tabB.goto(`${web.url}/#/c/${characterId}/dataset`);
    await tabB.waitForSelector('[data-testid=dataset-item] img');
    const last = tabB.getByRole('img', { name: LAST_SHOWN });
    // not loaded yet: too far down for a lazy image
    await expect(
      last.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
    ).resolves.toBe(false);

    await tabA.click('[data-testid=forget-token]');
    await tabA.waitForSelector('[data-testid=token-prompt]');
    const probes: string[] = [];
    tabB.on('request', (request) => {
      if (request.resourceType() !== 'image' && request.url().includes('/items/')) probes.push(request.url());
    });
    await tabB.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await tabB.waitForSelector('[data-testid=token-prompt]', { timeout: 30_000 });
    await expect(tabB.locator('[data-testid=dataset-item]').count()).resolves.toBe(0);
    expect(new Set(probes.map((url) => url.replace(/\/items\/[^/]+/, ''))).size).toBe(1);
    expect(probes.length).toBeLessThanOrEqual(2); // one HEAD, then its GET for the error

    await giveToken(tabB);
    await tabB.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await tabB.waitForFunction((name) => {
      const img = document.querySelector<HTMLImageElement>(`img[alt="${name}"]`);
      return img?.complete === true && img.naturalWidth === 16;
    }, LAST_SHOWN);
  }, 120_000);
});

// test/web-dataset-strip-panels.test.ts — the Dataset page in chromium for a webtoon strip's five crops: each row
// and its screen-reader names say which panel the crop came from (all five read "Select webtoon-ep1.png"), and its
// original is that panel's region (it was the whole 800 x 12000 strip, shown as a sliver).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRIP_PANELS, seedStripDataset } from './helpers/strip-dataset.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let page: Page;
let characterId: string;

beforeAll(async () => {
  web = await startWebSession('web-dataset-strip-panels');
  ({ page } = web);
  characterId = (await seedStripDataset(web.app)).character.id;
}, 180_000);

afterAll(() => web?.close());

describe('Dataset page rows of a webtoon strip', () => {
  it('names each crop with its panel and shows that panel as its original', async () => {
    await page.goto(`${web.url}/#/c/${characterId}/dataset`);
    await page.waitForSelector('[data-testid=dataset-item]');
    await expect(
      page
        .locator('[data-testid=pick-item]')
        .evaluateAll((boxes) => boxes.map((b) => b.getAttribute('aria-label'))),
    ).resolves.toEqual([1, 2, 3, 4, 5].map((n) => `Select webtoon-ep1.png, panel ${n}`));
    const third = page.locator('[data-testid=dataset-item]').nth(2);
    await expect(third.locator('.file-name').textContent()).resolves.toBe('webtoon-ep1.png, panel 3');
    await expect(
      third.getByRole('button', { name: 'Exclude webtoon-ep1.png, panel 3' }).count(),
    ).resolves.toBe(1);
    const original = third.getByRole('img', { name: 'webtoon-ep1.png, panel 3: original' });
    await original.scrollIntoViewIfNeeded();
    await page.waitForFunction(
      (img) => (img as HTMLImageElement | null)?.complete && (img as HTMLImageElement).naturalWidth > 0,
      await original.elementHandle(),
      { timeout: 30_000 },
    );
    await expect(
      original.evaluate((img) => [
        (img as HTMLImageElement).naturalWidth,
        (img as HTMLImageElement).naturalHeight,
      ]),
    ).resolves.toEqual([800, STRIP_PANELS[2]?.height]);
  }, 120_000);
});

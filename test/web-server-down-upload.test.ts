// test/web-server-down-upload.test.ts — the Upload (Screenshots) page opened while the server cannot be reached, in
// chromium: its opening reads (the screenshots, the prep jobs, the dataset versions, the upload limits, the models)
// are retried as the other pages' are (web/src/components/initial-read.ts) and fill in once the server answers, the
// "Cannot reach" banner gone, without a reload. Before, only the screenshots and the prep job came back (the
// character's stream re-reads them when it reconnects): the dropzone went on naming the default minimum side
// instead of the server's, and a stage whose model is not downloaded was never warned about. The server's going
// down is every /api request failing as a stopped server's do (fetch's TypeError).
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody, solidPng } from './helpers/server-fixtures.js';
import { startSeededWebSession, WEB_ARTIFACTS, type WebSession } from './helpers/web-session.js';

/** The server's minimum shorter side, not the default (64 px): the dropzone names it once the limits are read. */
const MIN_SIDE_PX = 100;

let web: WebSession;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-server-down-upload', {
    uploads: { minSidePx: MIN_SIDE_PX },
  }));
  const upload = await web.app.inject({
    method: 'POST',
    url: `/api/characters/${characterId}/images`,
    ...multipartBody([{ filename: 'mina-1.png', data: await solidPng(120, 120) }]),
  });
  expect(upload.statusCode).toBe(201);
}, 180_000);

afterAll(() => web?.close());

describe('the Upload (Screenshots) page opened while the server is down', () => {
  it('fills in when the server is back, without a reload: screenshots, limits, model warnings', async () => {
    const page = web.page;
    await page.goto(`${web.url}/#/c/${characterId}/dataset`);
    await page.waitForSelector('[data-testid=dataset-item]');
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    await page.click('nav a:has-text("Screenshots")');
    const banner = page.getByRole('alert').filter({ hasText: 'Cannot reach the toonlora server' });
    await banner.waitFor({ timeout: 20_000 });
    const screenshot = page.locator('[data-testid=uploads] figcaption', { hasText: 'mina-1.png' });
    await expect(screenshot.count()).resolves.toBe(0);
    await page.unroute('**/api/**');
    await screenshot.waitFor({ timeout: 30_000 });
    const dropzone = page.getByTestId('dropzone');
    await expect
      .poll(() => dropzone.textContent(), { timeout: 30_000 })
      .toContain(`at least ${MIN_SIDE_PX} px on the shorter side`);
    // a stage whose model the server does not have is warned about before Build (the models list was read)
    await page.selectOption('select[name=captioner]', 'wd14');
    await expect
      .poll(() => page.getByTestId('prep-model-warnings').textContent(), { timeout: 30_000 })
      .toContain('wd-vit-tagger-v3 is not downloaded on the server');
    await page.getByRole('link', { name: 'Review the dataset →' }).waitFor({ timeout: 30_000 });
    await expect.poll(() => banner.count(), { timeout: 20_000 }).toBe(0);
    await page.screenshot({ path: join(WEB_ARTIFACTS, 'upload-server-back.png') });
  }, 120_000);
});

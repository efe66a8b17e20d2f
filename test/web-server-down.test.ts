// test/web-server-down.test.ts — a page opened while the server cannot be reached, in chromium: its opening reads
// are retried (web/src/components/initial-read.ts) and the page fills in once the server answers, the "Cannot
// reach" banner gone. Before, the Train page's Dataset select stayed empty and Start training disabled until a
// reload. The server's going down is every /api request failing as a stopped server's do (fetch's TypeError).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-server-down'));
}, 180_000);

afterAll(() => web?.close());

describe('a page opened while the server is down', () => {
  it('Train: fills in its Dataset select when the server is back, without a reload', async () => {
    const page = web.page;
    await page.goto(`${web.url}/#/c/${characterId}/dataset`);
    await page.waitForSelector('[data-testid=dataset-item]');
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    await page.click('nav a:has-text("Train")');
    const banner = page.getByRole('alert').filter({ hasText: 'Cannot reach the toonlora server' });
    await banner.waitFor({ timeout: 20_000 });
    const options = page.locator('[data-testid=train-dataset] option');
    await expect(options.count()).resolves.toBe(0);
    await page.unroute('**/api/**');
    await options.first().waitFor({ state: 'attached', timeout: 30_000 });
    await expect(options.first().textContent()).resolves.toMatch(/^v1 · /);
    await expect
      .poll(() => page.getByRole('button', { name: 'Start training' }).isDisabled(), { timeout: 20_000 })
      .toBe(false);
    await expect.poll(() => banner.count(), { timeout: 20_000 }).toBe(0);
  }, 120_000);

  it('Dataset: lists its items when the server is back', async () => {
    const page = web.page;
    await page.goto(`${web.url}/#/c/${characterId}/train`);
    await page.locator('[data-testid=train-dataset] option').first().waitFor({ state: 'attached' });
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    await page.click('nav a:has-text("Dataset")');
    await page.getByRole('alert').filter({ hasText: 'Cannot reach the toonlora server' }).waitFor();
    await page.unroute('**/api/**');
    await page.waitForSelector('[data-testid=dataset-item]', { timeout: 30_000 });
  }, 120_000);
});

// test/web-dataset-bulk-token.test.ts — the Dataset page's bulk exclude refused for the token (as when it was
// forgotten in another tab; here the browser answers that request with the server's 401) against a server with a
// token: the token prompt comes up, and after it a row's caption typed and not saved (its save was refused:
// changed in another tab) is back in its row, though the row is past the first 50 the page shows at first.
// Without the page keeping it, the prompt dropped the edit.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigDatasetKey, seedBigDataset } from './helpers/big-dataset.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

const TOKEN = 'bulk-token-test-token';
let web: WebSession;
let characterId: string;
let datasetId: string;

beforeAll(async () => {
  web = await startWebSession('web-dataset-bulk-token', { token: TOKEN });
  ({ characterId, datasetId } = await seedBigDataset(web.app, 60, 16));
}, 180_000);

afterAll(() => web?.close());

const row = (page: Page, key: string) =>
  page.locator('[data-testid=dataset-item]', { hasText: `${key}.png` });
const giveToken = async (page: Page) => {
  await page.fill('input[name=token]', TOKEN);
  await page.click('button:has-text("Use")');
  await page.waitForSelector('[data-testid=dataset-item]');
};

describe('Dataset page bulk action refused for the token', () => {
  it('asks for the token and keeps an unsaved caption, past the first 50 rows, for after it', async () => {
    const tabB = web.page;
    await tabB.goto(`${web.url}/#/c/${characterId}/dataset`);
    await giveToken(tabB);
    await tabB.getByTestId('show-more').click();
    const k55 = bigDatasetKey(55);
    const caption = row(tabB, k55).getByTestId('caption');
    await caption.fill('mina_tl, girl, typed in tab B');
    web.app.catalog.updateDatasetItem(datasetId, k55, { caption: 'mina_tl, girl, from tab A' });
    await caption.blur(); // its save is refused: the text waits in the box
    await row(tabB, k55).getByTestId('caption-conflict').waitFor();

    // the server's own 401 (the token forgotten meanwhile), asked without the token
    const bulkUrl = `${web.url}/api/datasets/${datasetId}/items`;
    await tabB.route(bulkUrl, async (route) => {
      const refused = await route.fetch({ headers: { 'content-type': 'application/json' } });
      expect(refused.status()).toBe(401);
      await route.fulfill({ response: refused });
    });
    await row(tabB, bigDatasetKey(1)).getByTestId('pick-item').check();
    await tabB.getByTestId('bulk-exclude').click();
    await tabB.waitForSelector('[data-testid=token-prompt]');
    await tabB.unroute(bulkUrl);
    expect(web.app.catalog.getDatasetItem(datasetId, bigDatasetKey(1)).excluded).toBe(false);

    await giveToken(tabB);
    // past the first 50 rows, shown again with the typed text and the note that it is not saved
    await expect(row(tabB, k55).isVisible()).resolves.toBe(true);
    await expect(row(tabB, k55).getByTestId('caption').inputValue()).resolves.toBe(
      'mina_tl, girl, typed in tab B',
    );
    await row(tabB, k55).getByTestId('caption-restored').waitFor();
    expect(web.app.catalog.getDatasetItem(datasetId, k55).caption).toBe('mina_tl, girl, from tab A');
  }, 120_000);
});

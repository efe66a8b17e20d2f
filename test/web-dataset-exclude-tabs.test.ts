// test/web-dataset-exclude-tabs.test.ts — the Dataset page in two chromium tabs: an item excluded in one tab shows
// excluded in the other when the user comes back to it (the tab is re-read), not as it was; before, the other tab
// kept showing it included with an "Exclude" button until its next save, and the version's image count too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetRow, excludeButton } from './helpers/dataset-rows.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-exclude-tabs'));
}, 180_000);

afterAll(() => web?.close());

describe('Dataset page exclude in two tabs', () => {
  it('shows the other tab’s exclude once the user is back in this tab', async () => {
    const tabA = web.page;
    await tabA.goto(`${web.url}/#/c/${characterId}/dataset`);
    await tabA.waitForSelector('[data-testid=dataset-item]');
    const tabB = await web.browser.newPage();
    await tabB.goto(`${web.url}/#/c/${characterId}/dataset`);
    await tabB.waitForSelector('[data-testid=dataset-item]');
    await expect(excludeButton(tabB, 'a.png').textContent()).resolves.toBe('Exclude');

    await excludeButton(tabA, 'a.png').click();
    await datasetRow(tabA, 'a.png').locator('button:text-is("Re-include")').waitFor();
    await expect(excludeButton(tabB, 'a.png').textContent()).resolves.toBe('Exclude'); // not back in B yet

    // back in tab B: its window gets the focus (as when the user switches to it)
    await tabB.bringToFront();
    await tabB.evaluate(() => window.dispatchEvent(new Event('focus')));
    await datasetRow(tabB, 'a.png').locator('button:text-is("Re-include")').waitFor({ timeout: 10_000 });
    await expect(tabB.locator('select').first().locator('option').first().textContent()).resolves.toContain(
      '1/2 images',
    );
  }, 90_000);
});

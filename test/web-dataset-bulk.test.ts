// test/web-dataset-bulk.test.ts — the Dataset page with 200 crops in chromium: it shows 50 rows at first and "Show
// 50 more" adds the next (all 200 rows were rendered at once: ~5000 elements); rows are picked with a checkbox,
// a shift-click range, "Select all shown" under the "Show" choice, or the keyboard, and excluded / re-included in
// one request (each crop was its own click and request); the "Show" counts follow, and a caption typed and not
// saved stays in its row through a bulk action.
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigDatasetKey, seedBigDataset } from './helpers/big-dataset.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let page: Page;
let characterId: string;
let datasetId: string;

beforeAll(async () => {
  web = await startWebSession('web-dataset-bulk');
  ({ page } = web);
  ({ characterId, datasetId } = await seedBigDataset(web.app, 200, 24));
}, 180_000);

afterAll(() => web?.close());

const rows = () => page.locator('[data-testid=dataset-item]:visible');
const row = (key: string) => page.locator('[data-testid=dataset-item]', { hasText: `${key}.png` });
const pick = (key: string) => row(key).getByRole('checkbox', { name: new RegExp(`^Select .*${key}\\.png$`) });
const count = () => page.textContent('[data-testid=picked-count]');
const excludedKeys = () =>
  web.app.catalog
    .listDatasetItems(datasetId)
    .filter((i) => i.excluded)
    .map((i) => i.key);
const open = async () => {
  await page.goto('about:blank'); // a fresh page (a hash change alone keeps its state)
  await page.goto(`${web.url}/#/c/${characterId}/dataset`);
  await page.waitForSelector('[data-testid=dataset-item]');
};

describe('Dataset page with 200 crops', () => {
  it('shows 50 rows at first with lazy images; "Show 50 more" adds the next and focuses the first new row', async () => {
    await open();
    await expect(rows().count()).resolves.toBe(50);
    await expect(page.locator('[data-testid=dataset-item]').count()).resolves.toBe(50);
    const img = rows().first().locator('img').first();
    await expect(img.getAttribute('loading')).resolves.toBe('lazy');
    await expect(img.getAttribute('decoding')).resolves.toBe('async');
    const more = page.getByTestId('show-more');
    await expect(more.textContent()).resolves.toBe('Show 50 more (150 not shown)');
    await more.click();
    await expect(rows().count()).resolves.toBe(100);
    await expect(more.textContent()).resolves.toBe('Show 50 more (100 not shown)');
    await expect(pick(bigDatasetKey(50)).evaluate((el) => el === document.activeElement)).resolves.toBe(true);
  }, 90_000);

  it('excludes a shift-click range in one request; counts follow; a caption edit stays in its row', async () => {
    await open();
    const [k2, k3, k7] = [2, 3, 7].map(bigDatasetKey) as [string, string, string];
    // row 7: typed, then saved on blur (the next click); row 3: its caption changed in another tab meanwhile,
    // so its save on blur is refused and the typed text waits in the box (keep mine / use the other)
    await row(k7).getByTestId('caption').fill('mina_tl, girl, typed in row 7');
    const caption3 = row(k3).getByTestId('caption');
    await caption3.fill('mina_tl, girl, typed in row 3');
    web.app.catalog.updateDatasetItem(datasetId, k3, { caption: 'mina_tl, girl, from another tab' });
    await pick(k2).click();
    await row(k3).getByTestId('caption-conflict').waitFor();
    await expect(count()).resolves.toBe('1 selected');
    await pick(bigDatasetKey(6)).click({ modifiers: ['Shift'] });
    await expect(count()).resolves.toBe('5 selected');
    const patches: Request[] = [];
    page.on('request', (r) => {
      if (r.method() === 'PATCH') patches.push(r);
    });
    await page.getByTestId('bulk-exclude').click();
    await expect(page.textContent('[data-testid=bulk-notice]')).resolves.toMatch(/^Excluded 5 images/);
    expect(patches.map((r) => new URL(r.url()).pathname)).toEqual([`/api/datasets/${datasetId}/items`]);
    expect(excludedKeys()).toEqual([2, 3, 4, 5, 6].map(bigDatasetKey));
    await expect(count()).resolves.toBe('None selected');
    await row(bigDatasetKey(4)).locator('button:text-is("Re-include")').waitFor();
    await expect(
      page.locator('[data-testid=item-filter] option[value=excluded]').textContent(),
    ).resolves.toBe('Excluded (5)');
    await expect(page.locator('select').first().locator('option').first().textContent()).resolves.toContain(
      '195/200 images',
    );
    // row 3's unsaved text is still in its box with the choice; row 7's saved text shows
    await expect(caption3.inputValue()).resolves.toBe('mina_tl, girl, typed in row 3');
    await expect(row(k3).getByTestId('caption-conflict').isVisible()).resolves.toBe(true);
    expect(web.app.catalog.getDatasetItem(datasetId, k3).caption).toBe('mina_tl, girl, from another tab');
    await expect(row(k7).getByTestId('caption').inputValue()).resolves.toBe('mina_tl, girl, typed in row 7');
    expect(web.app.catalog.getDatasetItem(datasetId, k7).caption).toBe('mina_tl, girl, typed in row 7');
    await row(k3)
      .getByRole('button', { name: /^Use the other caption text/ })
      .click(); // nothing unsaved left
  }, 90_000);

  it('"Select all shown" takes only the rows the Show choice keeps; re-include them from "Excluded"', async () => {
    await open();
    await page.locator('[data-testid=item-filter]').selectOption('quality'); // every 5th crop: 40
    await expect(rows().count()).resolves.toBe(40);
    await page.getByTestId('pick-all').check();
    await expect(count()).resolves.toBe('40 selected');
    const before = excludedKeys(); // the test above excluded crop-002 to crop-006 (crop-005 is one of the 40)
    const already = before.filter((key) => Number(key.slice(-3)) % 5 === 0).length;
    await page.getByTestId('bulk-exclude').click();
    await expect(page.textContent('[data-testid=bulk-notice]')).resolves.toMatch(
      new RegExp(`^Excluded ${40 - already} images`),
    );
    const after = before.length + 40 - already;
    expect(excludedKeys()).toHaveLength(after);
    await expect(
      page.locator('[data-testid=item-filter] option[value=excluded]').textContent(),
    ).resolves.toBe(`Excluded (${after})`);
    await page.locator('[data-testid=item-filter]').selectOption('excluded');
    await expect(count()).resolves.toBe('None selected'); // a new "Show" choice starts with none picked
    await page.getByTestId('pick-all').check();
    await page.getByTestId('bulk-include').click();
    await expect(page.textContent('[data-testid=bulk-notice]')).resolves.toBe(`Re-included ${after} images.`);
    expect(excludedKeys()).toEqual([]);
    await expect(
      page.locator('[data-testid=item-filter] option[value=excluded]').textContent(),
    ).resolves.toBe('Excluded (0)');
  }, 90_000);

  it('works from the keyboard: Space picks, Escape clears', async () => {
    await open();
    await pick(bigDatasetKey(0)).focus();
    await page.keyboard.press('Space');
    await expect(count()).resolves.toBe('1 selected');
    await page.keyboard.press('Escape'); // from the row's checkbox
    await expect(count()).resolves.toBe('None selected');
    await expect(pick(bigDatasetKey(0)).isChecked()).resolves.toBe(false);
    await page.keyboard.press('Space');
    await page.getByTestId('pick-all').focus();
    await page.keyboard.press('Escape'); // from the bar
    await expect(count()).resolves.toBe('None selected');
  }, 60_000);
});

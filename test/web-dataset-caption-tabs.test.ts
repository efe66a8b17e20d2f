// test/web-dataset-caption-tabs.test.ts — the Dataset page in two chromium tabs against a server with a token:
// a tab's caption save over one the other tab saved since is refused and shows the other text, to keep its own
// or take the other (the second save silently dropped the first tab's edit); a save after "Forget token" in the
// other tab brings up the token prompt, not the API's "Send Authorization: Bearer" text, and the typed caption
// is back in its row after the token is given (it was lost).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetRow } from './helpers/dataset-rows.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

const TOKEN = 'caption-tabs-token';
let web: WebSession;
let tabA: Page;
let tabB: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-caption-tabs', { token: TOKEN }));
  tabA = web.page;
}, 180_000);

afterAll(() => web?.close());

const savedCaption = (key: string) => {
  const [dataset] = web.app.catalog.listDatasets(characterId);
  return web.app.catalog.listDatasetItems(dataset?.id as string).find((i) => i.key === key)?.caption;
};
const captionBox = (page: Page, file: string) => page.getByRole('textbox', { name: `Caption for ${file}` });
const waitSaved = async (key: string, caption: string) => {
  for (let i = 0; i < 100 && savedCaption(key) !== caption; i++) await tabA.waitForTimeout(100);
  expect(savedCaption(key)).toBe(caption);
};
const giveToken = async (page: Page) => {
  await page.fill('input[name=token]', TOKEN);
  await page.click('button:has-text("Use")');
  await page.waitForSelector('[data-testid=dataset-item]');
};

describe('Dataset page captions in two tabs', () => {
  it("refuses a stale tab's save, showing the other text; 'use the other' and 'keep mine' both resolve it", async () => {
    await tabA.goto(`${web.url}/#/c/${characterId}/dataset`);
    await giveToken(tabA);
    tabB = await web.browser.newPage();
    await tabB.goto(`${web.url}/#/c/${characterId}/dataset`);
    await tabB.waitForSelector('[data-testid=dataset-item]');

    await captionBox(tabA, 'a.png').fill('mina_tl, TAB A edit');
    await tabA.getByRole('button', { name: 'Save caption for a.png' }).click();
    await waitSaved('a', 'mina_tl, TAB A edit');

    await captionBox(tabB, 'a.png').fill('mina_tl, TAB B edit');
    await tabB.getByRole('button', { name: 'Save caption for a.png' }).click();
    const conflict = datasetRow(tabB, 'a.png').locator('[data-testid=caption-conflict]');
    await expect(conflict.locator('p').textContent()).resolves.toBe(
      'This caption was changed elsewhere (another tab or person) after this page loaded: it now reads "mina_tl, TAB A edit". Your text is still in the box: keep yours or use the other.',
    );
    expect(savedCaption('a')).toBe('mina_tl, TAB A edit');
    await expect(captionBox(tabB, 'a.png').inputValue()).resolves.toBe('mina_tl, TAB B edit');
    await tabB.getByRole('button', { name: 'Use the other caption text for a.png' }).click();
    await expect(captionBox(tabB, 'a.png').inputValue()).resolves.toBe('mina_tl, TAB A edit');
    await expect(tabB.getByRole('button', { name: 'Save caption for a.png' }).isDisabled()).resolves.toBe(
      true,
    );
    await expect(conflict.count()).resolves.toBe(0);

    // again, and this time B keeps its own text
    await captionBox(tabA, 'a.png').fill('mina_tl, TAB A second');
    await tabA.getByRole('button', { name: 'Save caption for a.png' }).click();
    await waitSaved('a', 'mina_tl, TAB A second');
    await captionBox(tabB, 'a.png').fill('mina_tl, TAB B kept');
    await tabB.getByRole('button', { name: 'Save caption for a.png' }).click();
    await conflict.waitFor();
    expect(savedCaption('a')).toBe('mina_tl, TAB A second');
    await tabB.getByRole('button', { name: 'Keep my caption text for a.png' }).click();
    await waitSaved('a', 'mina_tl, TAB B kept');
    await expect(conflict.count()).resolves.toBe(0);
    await expect(tabB.getByRole('button', { name: 'Save caption for a.png' }).isDisabled()).resolves.toBe(
      true,
    );
  }, 90_000);

  it('a save after "Forget token" in the other tab asks for the token and keeps the typed caption', async () => {
    await tabA.click('[data-testid=forget-token]');
    await tabA.waitForSelector('[data-testid=token-prompt]');
    await captionBox(tabB, 'b.png').fill('mina_tl, typed while signed out');
    await tabB.getByRole('button', { name: 'Save caption for b.png' }).click();
    await tabB.waitForSelector('[data-testid=token-prompt]');
    await expect(tabB.locator('body').textContent()).resolves.not.toContain('Bearer');
    expect(savedCaption('b')).toBe('mina_tl, girl b');

    await giveToken(tabB);
    await expect(captionBox(tabB, 'b.png').inputValue()).resolves.toBe('mina_tl, typed while signed out');
    await datasetRow(tabB, 'b.png').locator('[data-testid=caption-restored]').waitFor();
    await tabB.getByRole('button', { name: 'Save caption for b.png' }).click();
    await waitSaved('b', 'mina_tl, typed while signed out');
    await expect(datasetRow(tabB, 'b.png').locator('[data-testid=caption-restored]').count()).resolves.toBe(
      0,
    );
  }, 90_000);
});

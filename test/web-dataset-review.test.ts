// test/web-dataset-review.test.ts — the Dataset page in chromium while a caption is edited: a caption typed past
// the 75 tokens CLIP reads is warned about at once (only the finished training run warned), so is one that names
// nothing besides the trigger and class words; each item's images and buttons carry its file name for screen
// readers (every item read "Save caption", "original"); leaving the page with an edited caption not saved asks
// first, on reload and on in-app navigation (the Back button dropped it silently), while a nav link's click
// (which saves on blur) does not ask; "Show" keeps only the items with caption warnings or the excluded ones.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let page: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-dataset-review'));
  ({ page } = web);
}, 180_000);

afterAll(() => web?.close());

/** Whether a beforeunload now would ask (the listener prevents its default). */
const wouldAsk = () =>
  page.evaluate(() => {
    const event = new Event('beforeunload', { cancelable: true });
    window.dispatchEvent(event);
    return event.defaultPrevented;
  });

describe('Dataset page caption editing', () => {
  it('names items for screen readers, warns about a long caption while typing, asks before dropping an edit', async () => {
    await page.goto(`${web.url}/#/c/${characterId}/dataset`);
    await page.waitForSelector('[data-testid=dataset-item]');
    await page.getByRole('button', { name: 'Save caption for a.png' }).waitFor();
    await page.getByRole('button', { name: 'Exclude b.png' }).waitFor();
    await page.getByRole('img', { name: 'a.png: original' }).waitFor();

    const item = page.locator('[data-testid=dataset-item]', { hasText: 'a.png' });
    await expect(wouldAsk()).resolves.toBe(false);
    const long = ['mina_tl', ...Array.from({ length: 40 }, (_, i) => `tag ${i % 10}`)].join(', ');
    await item.locator('[data-testid=caption]').fill(long);
    await expect(item.locator('[data-testid=caption-length-warning]').textContent()).resolves.toMatch(
      /^This caption is at least \d+ tokens, longer than the 75 tokens CLIP reads/,
    );
    await expect(wouldAsk()).resolves.toBe(true);
    // back to the saved caption: nothing to ask; it names nothing besides "mina_tl girl" ("a" says nothing)
    await item.locator('[data-testid=caption]').fill('mina_tl, girl a');
    await expect(item.locator('[data-testid=caption-length-warning]').textContent()).resolves.toMatch(
      /^This caption names nothing besides "mina_tl girl": what a caption does not name/,
    );
    await expect(wouldAsk()).resolves.toBe(false);
  }, 60_000);

  it('asks before Back or a typed hash drops an unsaved caption; a nav link click saves it without asking', async () => {
    const dialogs: string[] = [];
    const [dataset] = web.app.catalog.listDatasets(characterId);
    const savedCaption = (key: string) =>
      web.app.catalog.listDatasetItems(dataset?.id as string).find((i) => i.key === key)?.caption;
    await page.goto(`${web.url}/#/c/${characterId}/upload`);
    await page.click('nav a:has-text("Dataset")');
    const caption = page.getByRole('textbox', { name: 'Caption for a.png' });
    await caption.fill('mina_tl, girl, red scarf, smile');

    // Back: asked; staying keeps the page, its address and the edit
    const asked = page.waitForEvent('dialog');
    await page.evaluate(() => history.back());
    const dialog = await asked;
    dialogs.push(dialog.message());
    await dialog.dismiss();
    expect(dialogs).toEqual(['A caption you edited is not saved. Leave this page and lose the edit?']);
    await page.waitForTimeout(300); // an app that ignored the answer would switch pages now
    await expect(page.evaluate(() => window.location.hash)).resolves.toBe(`#/c/${characterId}/dataset`);
    await expect(caption.inputValue()).resolves.toBe('mina_tl, girl, red scarf, smile');

    // a nav link: the click blurs the caption, which saves it; no question while that save is on its way
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.accept();
    });
    await page.click('nav a:has-text("Train")');
    await page.waitForSelector('input[name=rank]');
    await expect.poll(() => savedCaption('a')).toBe('mina_tl, girl, red scarf, smile');
    expect(dialogs).toHaveLength(1);

    // a typed address with an edit not saved: asked; OK leaves and drops the edit
    await page.click('nav a:has-text("Dataset")');
    await page.getByRole('textbox', { name: 'Caption for b.png' }).fill('mina_tl, girl, dropped');
    await page.evaluate((id) => {
      window.location.hash = `#/c/${id}/lora`;
    }, characterId);
    await page.waitForSelector('text=No LoRA yet');
    expect(dialogs).toHaveLength(2);
    expect(savedCaption('b')).toBe('mina_tl, girl b');
  }, 60_000);

  it('shows only the items with caption warnings, or only the excluded ones', async () => {
    await page.goto(`${web.url}/#/c/${characterId}/dataset`);
    const show = page.locator('[data-testid=item-filter]');
    await show.waitFor();
    const row = (name: string) => page.locator('[data-testid=dataset-item]', { hasText: name });
    // a.png's caption names details (the test above saved it); b.png's only "mina_tl girl"
    await expect(show.locator('option').allTextContents()).resolves.toEqual([
      'All images (2)',
      'Quality warnings (0)',
      'Caption warnings (1)',
      'Excluded (0)',
    ]);
    await show.selectOption('caption');
    await expect(row('a.png').isVisible()).resolves.toBe(false);
    await expect(row('b.png').isVisible()).resolves.toBe(true);
    await expect(page.textContent('[data-testid=item-filter-count]')).resolves.toBe('1 of 2 shown');
    await page.getByRole('button', { name: 'Exclude b.png' }).click();
    await page.getByRole('button', { name: 'Re-include b.png' }).waitFor();
    await show.selectOption('excluded');
    await expect(row('a.png').isVisible()).resolves.toBe(false);
    await expect(row('b.png').isVisible()).resolves.toBe(true);
    await show.selectOption('all');
    await expect(row('a.png').isVisible()).resolves.toBe(true);
  }, 60_000);

  it("reads at 375 px: a row's notes at 14 px, stage labels at 13 px (11-12 px before), long names wrap", async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    try {
      await page.goto(`${web.url}/#/c/${characterId}/dataset`);
      // b.png (its caption names nothing besides "mina_tl girl": warned); by position, its name changes below
      const item = page.locator('[data-testid=dataset-item]').nth(1);
      await item.locator('[data-testid=caption-length-warning]').waitFor();
      const size = (selector: string) =>
        item
          .locator(selector)
          .first()
          .evaluate((el) => Number.parseFloat(getComputedStyle(el).fontSize));
      await expect(size('.file-name')).resolves.toBe(14);
      await expect(size('[data-testid=caption-length-warning]')).resolves.toBe(14);
      await expect(size('.stage figcaption')).resolves.toBe(13);
      // a screenshot's name has no spaces: it wraps inside the row instead of running past it
      const name = item.locator('.file-name');
      await name.evaluate((el) => {
        el.textContent = `Screenshot_20261207_014117_com.naver.webtoon_episode_0042_${'x'.repeat(40)}.png`;
      });
      const fits = await name.evaluate((el) => {
        const row = (el.closest('.item') as HTMLElement).getBoundingClientRect();
        const range = document.createRange();
        range.selectNodeContents(el);
        return range.getBoundingClientRect().right <= row.right;
      });
      expect(fits).toBe(true);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  }, 60_000);
});

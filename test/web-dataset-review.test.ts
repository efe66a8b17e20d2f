// test/web-dataset-review.test.ts — the Dataset page in chromium while a caption is edited: a caption typed past
// the 75 tokens CLIP reads is warned about at once (only the finished training run warned), each item's images
// and buttons carry its file name for screen readers (every item read "Save caption", "original"), and leaving
// the page with an edited caption not saved asks first (a reload dropped it silently).
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
    await item.locator('[data-testid=caption]').fill('mina_tl, girl a');
    await expect(item.locator('[data-testid=caption-length-warning]').count()).resolves.toBe(0);
    await expect(wouldAsk()).resolves.toBe(false);
  }, 60_000);
});

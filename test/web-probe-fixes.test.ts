// test/web-probe-fixes.test.ts — what a headless probe of the web app found, in chromium against a real server:
// an address blocked for wrong tokens (429) stays on the token prompt with a countdown and retries when the
// block is over; Rename by keyboard gives the focus back to the Rename button; no page but Models and Dataset
// (their own tests) scrolls sideways on a 375 px phone with long names, and Generate's base placeholder fits.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kohyaLoraFile } from './helpers/kohya-lora-file.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

const LONG_NAME = '<b>x</b> 日本語の長い名前テスト 🎨 Ünïcödé';
const LONG_LORA = 'b_x_b_unicode_3b2eb15a_with_a_long_name_for_the_picker';

let web: WebSession;
let url: string;
let page: Page;
let characterId: string;

beforeAll(async () => {
  web = await startWebSession('web-probe-fixes', { runners: {} });
  ({ url, page } = web);
  ({ characterId } = await seedDataset(web.app, LONG_NAME));
}, 180_000);

afterAll(() => web?.close());

/** The focused element's accessible label (aria-label) or tag. */
const focused = () =>
  page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName);

describe('web app: what the probe found', () => {
  it('stays on the token prompt with a countdown while the address is blocked, then retries by itself', async () => {
    await page.goto(url);
    await page.evaluate(() => localStorage.setItem('toonlora-token', 'the-stored-token'));
    let blocked = true;
    // the server's answer to a blocked address (plugins/auth.ts), for every /api/ request while the block lasts
    await page.route('**/api/**', (route) =>
      blocked
        ? route.fulfill({
            status: 429,
            contentType: 'application/json',
            headers: { 'retry-after': '3' },
            body: JSON.stringify({
              error: {
                code: 'TL_ERR_TOO_MANY_REQUESTS',
                message: 'too many wrong tokens from this address: try again in 3 s (Retry-After), …',
                details: { retryAfterS: 3 },
              },
            }),
          })
        : route.continue(),
    );
    try {
      await page.reload();
      const prompt = page.locator('[data-testid=token-prompt]');
      await prompt.waitFor();
      expect(await prompt.textContent()).toMatch(
        /^Too many wrong tokens from this address: try again in [1-3] s, with the TOONLORA_TOKEN/,
      );
      // only the prompt: no banner over an empty "Characters" with a live create form
      expect(await page.locator('[role=alert]').count()).toBe(0);
      expect(await page.locator('h1:has-text("Characters"), input[name=trigger]').count()).toBe(0);
      expect(await page.getByRole('button', { name: 'Use' }).isDisabled()).toBe(true);
      await page.waitForSelector('[data-testid=token-prompt]:has-text("try again in 1 s")');
      blocked = false;
      // the block is over: the stored token is tried again, and the characters show
      await page.waitForSelector('[data-testid=character-card]', { timeout: 10_000 });
    } finally {
      await page.unroute('**/api/**');
      await page.evaluate(() => localStorage.removeItem('toonlora-token'));
    }
  }, 60_000);

  it('gives the focus back to Rename after a keyboard rename is cancelled or saved', async () => {
    web.app.catalog.createCharacter({ name: 'Kei', trigger: 'kei_tl', classWord: 'boy' });
    await page.goto(url);
    await page.getByRole('button', { name: 'Rename Kei' }).focus();
    await page.keyboard.press('Enter');
    expect(await focused()).toBe('New name for Kei');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Rename Kei' }).waitFor();
    expect(await focused()).toBe('Rename Kei');
    await page.keyboard.press('Enter');
    await page.keyboard.press('End');
    await page.keyboard.type(' (winter)');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Rename Kei (winter)' }).waitFor();
    expect(await focused()).toBe('Rename Kei (winter)');
  }, 60_000);

  it('does not scroll sideways on a 375 px phone; the base placeholder is not cut off', async () => {
    const lora = await kohyaLoraFile('web-probe-fixes-lora', 'lora');
    await page.goto(`${url}/#/c/${characterId}/lora`);
    await page.setInputFiles('[data-testid=lora-upload-input]', [
      {
        name: `${LONG_LORA}.safetensors`,
        mimeType: 'application/octet-stream',
        buffer: lora,
      },
    ]);
    await page.waitForSelector(`[data-testid=snippet]:has-text("${LONG_LORA}")`);

    await page.setViewportSize({ width: 375, height: 812 });
    try {
      const pages: Array<[string, string]> = [
        ['', '[data-testid=character-card]'],
        [`c/${characterId}/upload`, '[data-testid=prep-options]'],
        [`c/${characterId}/train`, 'input[name=rank]'],
        [`c/${characterId}/lora`, '[data-testid=snippet]'],
        [`c/${characterId}/generate`, 'textarea[name=prompt]'],
        [`c/${characterId}/no-such-tab`, '[data-testid=not-found]'],
        ['no-such-page', '[data-testid=not-found]'],
      ];
      for (const [route, ready] of pages) {
        await page.goto(`${url}/#/${route}`);
        await page.waitForSelector(ready);
        const widths = await page.evaluate(() => ({
          scroll: document.scrollingElement?.scrollWidth ?? 0,
          inner: window.innerWidth,
        }));
        expect(widths.scroll, `#/${route} is wider than the window`).toBeLessThanOrEqual(widths.inner);
      }
      // Generate with no LoRA chosen: the default base's name fits in the field, where it comes from is under it
      await page.goto(`${url}/#/c/${characterId}/generate`);
      await page.selectOption('select', '');
      const base = await page.evaluate(() => {
        const input = document.querySelector<HTMLInputElement>('input[name=baseModel]');
        if (!input) return null;
        const style = getComputedStyle(input);
        const context = document.createElement('canvas').getContext('2d');
        if (!context) return null;
        context.font = style.font;
        const room =
          input.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight);
        return { placeholder: input.placeholder, text: context.measureText(input.placeholder).width, room };
      });
      expect(base?.placeholder).toBe('stablediffusionapi/anything-v5');
      expect(await page.textContent('[data-testid=base-source]')).toBe(
        "Left empty: the server's default base.",
      );
      expect(base?.text, `"${base?.placeholder}" is cut off`).toBeLessThanOrEqual(base?.room ?? 0);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  }, 90_000);
});

// test/web-token.test.ts — the web app in chromium against a server with a token: it asks for the token,
// trades it for an HttpOnly session cookie, and then the dataset images (original and crop of 2 items) load
// with no token in any URL.
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

const TOKEN = 'web-s3cret-token';
let web: WebSession;
let url: string;
let browser: BrowserContext;
let page: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-token', { token: TOKEN }));
  ({ url, browser, page } = web);
}, 180_000);

afterAll(() => web?.close());

describe('web app with a token', () => {
  it('asks for the token, then shows the images through the session cookie; no URL carries the token', async () => {
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    await page.goto(`${url}/#/c/${characterId}/dataset`);
    // only the prompt: no page of refused requests, no API wording
    await expect(page.textContent('[data-testid=token-prompt]')).resolves.toBe(
      'This server needs its token (TOONLORA_TOKEN):',
    );
    await expect(page.locator('[role=alert]').count()).resolves.toBe(0);
    await expect(page.locator('[data-testid=dataset-item], nav').count()).resolves.toBe(0);
    await page.getByRole('textbox', { name: 'Token' }).fill('not-the-token');
    await page.click('button:has-text("Use")');
    await page.waitForSelector('[data-testid=token-prompt]:has-text("That token is not right")');
    await page.fill('input[name=token]', TOKEN);
    await page.click('button:has-text("Use")');
    await page.waitForSelector('[data-testid=dataset-item] img');
    await page.waitForFunction(() => {
      const images = [...document.querySelectorAll<HTMLImageElement>('[data-testid=dataset-item] img')];
      return images.length === 4 && images.every((image) => image.complete && image.naturalWidth === 16);
    });
    expect(requested.filter((u) => u.includes('/api/')).length).toBeGreaterThan(3);
    expect(requested.filter((u) => u.includes(TOKEN))).toEqual([]);
    const cookies = await browser.cookies(`${url}/api/health`); // the cookie is scoped to /api
    expect(cookies.find((c) => c.name === 'toonlora_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
      path: '/api',
    });
    expect(await page.evaluate(() => document.cookie)).toBe(''); // not readable by scripts
  }, 60_000);

  it('forgets the token: the stored token and the session cookie are gone, and the prompt is back', async () => {
    await page.click('[data-testid=forget-token]');
    await page.waitForSelector('[data-testid=token-prompt]:has-text("This server needs its token")');
    expect(await page.evaluate(() => localStorage.getItem('toonlora-token'))).toBe(null);
    const cookies = await browser.cookies(`${url}/api/health`);
    expect(cookies.find((c) => c.name === 'toonlora_session')).toBeUndefined();
    await expect(page.locator('[data-testid=forget-token]').count()).resolves.toBe(0);
  }, 30_000);
});

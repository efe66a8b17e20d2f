// test/web-lora-download-gone.test.ts — the LoRA page's Download of a LoRA deleted elsewhere (another tab, another
// user) meanwhile, in chromium against a real server on loopback: the page says the LoRA was deleted elsewhere and
// shows the list as it is now, instead of the API's "artifact <id> not found." in the error banner (before).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainedLora } from './helpers/trained-lora.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let url: string;
let page: Page;

beforeAll(async () => {
  web = await startWebSession('web-lora-download-gone', { runners: {} });
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

describe('web app: downloading a LoRA deleted elsewhere', () => {
  it('says the LoRA was deleted elsewhere, in the page, and stays on it', async () => {
    const { characterId, lora } = await trainedLora(web.app, 'Eve');
    await page.goto(`${url}/#/c/${characterId}/lora`);
    const download = page.locator('a.button', { hasText: 'Download (WebUI / ComfyUI, kohya)' });
    await download.waitFor();
    const pageUrl = page.url();
    expect((await web.app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` })).statusCode).toBe(204);

    await download.click();
    await page.waitForSelector(
      '[data-testid=lora-gone]:has-text("The LoRA mina was deleted elsewhere (another tab or another user).")',
    );
    await page.waitForSelector('text=No LoRA yet: train one, or upload one made elsewhere.');
    await expect(page.locator('div.error[role=alert]').count()).resolves.toBe(0); // no "artifact … not found"
    expect(page.url()).toBe(pageUrl);
  }, 90_000);
});

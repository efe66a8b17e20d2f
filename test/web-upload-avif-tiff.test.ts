// test/web-upload-avif-tiff.test.ts — the upload page in chromium takes AVIF and TIFF: its file picker asks for them
// (before: PNG, JPEG, WebP, GIF and BMP only, so the picker hid a scan.tif), an AVIF shows as it is in the
// screenshot list, and a TIFF shows as the PNG it was stored as, under its base name.
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let page: Page;

beforeAll(async () => {
  web = await startWebSession('web-upload-avif-tiff');
  ({ page } = web);
}, 180_000);

afterAll(() => web?.close());

/** A solid 96x72 picture in the format sharp's `to` writes. */
function picture(to: 'avif' | 'tiff'): Promise<Buffer> {
  return sharp({ create: { width: 96, height: 72, channels: 3, background: '#e04040' } })
    [to]()
    .toBuffer();
}

describe('upload page with AVIF and TIFF', () => {
  it('asks for them in the picker, and lists both once uploaded, each picture shown', async () => {
    const mina = web.app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    await page.goto(`${web.url}/#/c/${mina.id}/upload`);
    await page.waitForSelector('[data-testid=dropzone]');
    const accept = (await page.getAttribute('[data-testid=upload-input]', 'accept')) ?? '';
    expect(accept.split(',')).toEqual(expect.arrayContaining(['image/avif', 'image/tiff', '.tif', '.tiff']));
    await expect(page.textContent('[data-testid=dropzone]')).resolves.toContain('AVIF, TIFF');
    await page.setInputFiles('[data-testid=upload-input]', [
      { name: 'phone.avif', mimeType: 'image/avif', buffer: await picture('avif') },
      { name: 'scan.tif', mimeType: 'image/tiff', buffer: await picture('tiff') },
    ]);
    await page.waitForSelector('[data-testid=upload-summary]:has-text("Uploaded 2 screenshots")');
    await page.waitForSelector('[data-testid=uploads] figure >> nth=1');
    const captions = await page.locator('[data-testid=uploads] figcaption').allTextContents();
    expect(captions.toSorted()).toEqual(['phone.avif · 96×72', 'scan.png · 96×72']);
    // the browser decodes both stored files (the AVIF as it is, the TIFF's PNG)
    const shown = page.locator('[data-testid=uploads] img');
    await expect
      .poll(() => shown.evaluateAll((imgs) => imgs.map((img) => (img as HTMLImageElement).naturalWidth)))
      .toEqual([96, 96]);
  });
});

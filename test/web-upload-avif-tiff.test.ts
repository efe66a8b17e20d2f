// test/web-upload-avif-tiff.test.ts — the upload page in chromium takes AVIF and TIFF: its file picker asks for them
// (before: PNG, JPEG, WebP, GIF and BMP only, so the picker hid a scan.tif), an AVIF shows as it is in the
// screenshot list, and a TIFF shows as the PNG it was stored as, under its base name, with a note saying so (of a
// multi-page TIFF: that only page 1 was read), also from a later batch of a drop; before, the page dropped the
// notes and `scan.png` appeared with no word why. The note of a removed screenshot goes, the next upload's replace
// them.
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidPng } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let page: Page;

beforeAll(async () => {
  // two files a request: a drop of three goes up in two batches, whose answers the page combines
  web = await startWebSession('web-upload-avif-tiff', { uploads: { maxFiles: 2 } });
  ({ page } = web);
}, 180_000);

afterAll(() => web?.close());

/** A TIFF of `pages` solid 96x72 pages, each its own colour. */
function multiPageTiff(pages: number): Promise<Buffer> {
  const colours = ['#e04040', '#40e040', '#4040e0', '#e0e040'];
  const page = (index: number) =>
    sharp({
      create: { width: 96, height: 72, channels: 3, background: colours[index % colours.length] ?? '#000' },
    })
      .png()
      .toBuffer();
  return Promise.all(Array.from({ length: pages }, (_, index) => page(index))).then((buffers) =>
    sharp(buffers, { join: { animated: true } })
      .tiff()
      .toBuffer(),
  );
}

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

  it("notes each TIFF converted, a later batch's too, and of a multi-page one that only page 1 was read", async () => {
    const kai = web.app.catalog.createCharacter({ name: 'Kai', trigger: 'kai_tl', classWord: 'boy' });
    const limitsRead = page.waitForResponse((response) => response.url().endsWith('/api/upload-limits'));
    await page.goto(`${web.url}/#/c/${kai.id}/upload`);
    await page.waitForSelector('[data-testid=dropzone]');
    await limitsRead; // read before the drop: it goes up two files a request
    const notes = page.locator('[data-testid=upload-converted] li');
    let requests = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith(`/api/characters/${kai.id}/images`))
        requests += 1;
    });
    await page.setInputFiles('[data-testid=upload-input]', [
      { name: 'cover.tif', mimeType: 'image/tiff', buffer: await picture('tiff') },
      { name: 'panel.png', mimeType: 'image/png', buffer: await solidPng(96, 72) },
      { name: 'scan.tif', mimeType: 'image/tiff', buffer: await multiPageTiff(3) },
    ]);
    await page.waitForSelector('[data-testid=upload-summary]:has-text("Uploaded 3 screenshots")');
    expect(requests).toBe(2); // [cover.tif, panel.png], [scan.tif]
    await expect(page.textContent('[data-testid=upload-summary]')).resolves.toBe(
      'Uploaded 3 screenshots; 2 converted (noted below).',
    );
    await expect(notes.allTextContents()).resolves.toEqual([
      'cover.tif: a TIFF image, converted to PNG and stored as cover.png',
      'scan.tif: a TIFF image, converted to PNG and stored as scan.png; a multi-page TIFF: only page 1 of 3 was read',
    ]);
    // an info notice, not shown as an error
    await expect(page.getAttribute('[data-testid=upload-converted]', 'class')).resolves.not.toMatch(
      /rejected|error/,
    );
    // scan.png removed: its note goes with it, cover.png's stays
    await page.waitForSelector('[data-testid=uploads] figure >> nth=2');
    await page.click('button[aria-label="Remove scan.png"]');
    await expect
      .poll(() => notes.allTextContents())
      .toEqual(['cover.tif: a TIFF image, converted to PNG and stored as cover.png']);
    // the next upload's outcome replaces the notes, as it does the refusals
    await page.setInputFiles('[data-testid=upload-input]', [
      { name: 'other.png', mimeType: 'image/png', buffer: await solidPng(96, 72, [10, 120, 200]) },
    ]);
    await page.waitForSelector('[data-testid=upload-summary]:has-text("Uploaded 1 screenshot.")');
    await expect(page.locator('[data-testid=upload-converted]').count()).resolves.toBe(0);
  });
});

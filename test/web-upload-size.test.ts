// test/web-upload-size.test.ts — the upload page in chromium refuses a screenshot over the per-file limit at once,
// from its size, without sending it (a 108 MB PNG went up for seconds before the server refused it), in the
// server's words, and still uploads the other files of the same drop; a file the server refuses (an image too
// small for prep) is listed with the server's reason.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_UPLOAD_LIMITS } from '../web/src/components/upload-batches.js';
import { solidPng } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let page: Page;

beforeAll(async () => {
  web = await startWebSession('web-upload-size');
  ({ page } = web);
}, 180_000);

afterAll(() => web?.close());

describe('upload page size limit', () => {
  it('refuses a file over the limit before sending it, and uploads the rest', async () => {
    const mina = web.app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const uploads: number[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().includes('/images')) {
        uploads.push(request.postDataBuffer()?.length ?? 0);
      }
    });
    await page.goto(`${web.url}/#/c/${mina.id}/upload`);
    await page.waitForSelector('[data-testid=dropzone]');
    const huge = Buffer.alloc(DEFAULT_UPLOAD_LIMITS.maxFileBytes + 1);
    await page.setInputFiles('[data-testid=upload-input]', [
      { name: 'huge.png', mimeType: 'image/png', buffer: huge },
    ]);
    await page.waitForSelector('.rejected li');
    await expect(page.locator('.rejected li').allTextContents()).resolves.toEqual([
      'huge.png: larger than the 25 MiB limit per file; refused. Send a smaller file.',
    ]);
    await expect(page.textContent('[data-testid=upload-summary]')).resolves.toBe(
      'Uploaded 0 screenshots; 1 refused (listed below).',
    );
    expect(uploads).toEqual([]);

    const small = { name: 'ok.png', mimeType: 'image/png', buffer: await solidPng() };
    await page.setInputFiles('[data-testid=upload-input]', [
      { name: 'huge.png', mimeType: 'image/png', buffer: huge },
      small,
    ]);
    await page.waitForSelector('[data-testid=upload-summary]:has-text("Uploaded 1 screenshot")');
    await expect(page.locator('.rejected li').allTextContents()).resolves.toEqual([
      'huge.png: larger than the 25 MiB limit per file; refused. Send a smaller file.',
    ]);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]).toBeLessThan(DEFAULT_UPLOAD_LIMITS.maxFileBytes);

    // an image prep would skip as too small is refused by the server and listed with its reason
    await page.setInputFiles('[data-testid=upload-input]', [
      { name: 'dot.png', mimeType: 'image/png', buffer: await solidPng(1, 1) },
    ]);
    await page.waitForSelector('.rejected li:has-text("dot.png")');
    await expect(page.locator('.rejected li').allTextContents()).resolves.toEqual([
      'dot.png: 1x1 pixels; the shorter side must be at least 64 px; refused. Upload a larger screenshot.',
    ]);
  }, 90_000);
});

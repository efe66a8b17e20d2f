// test/web-dataset-delete.test.ts — the Dataset page's "Delete this version" in chromium against a real server on
// loopback: it asks first, naming the version (Cancel keeps it), deletes on OK and then shows the newest version
// left; deleting the last one shows the page's empty state.
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preppedVersion } from './helpers/dataset-version.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let url: string;
let page: Page;

beforeAll(async () => {
  web = await startWebSession('web-dataset-delete', { runners: {} });
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

describe('web app: deleting a dataset version', () => {
  it('asks first naming the version, then shows the newest version left, then the empty state', async () => {
    const rin = web.app.catalog.createCharacter({ name: 'Rin', trigger: 'rin_tl', classWord: 'girl' });
    const older = await preppedVersion(web.app, rin.id);
    const newer = await preppedVersion(web.app, rin.id);
    await page.goto(`${url}/#/c/${rin.id}/dataset`);
    await page.waitForSelector('[data-testid=dataset-item]');
    const picker = page.getByLabel('Version');
    await expect.poll(() => picker.inputValue()).toBe(newer.dataset.id);

    const questions: string[] = [];
    let answer = false;
    page.on('dialog', (dialog) => {
      questions.push(dialog.message());
      void (answer ? dialog.accept() : dialog.dismiss());
    });
    await page.click('[data-testid=delete-version]');
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toMatch(/^Delete dataset v2 \(.+, 1 image\)\? .*this cannot be undone/);
    expect(existsSync(newer.folder)).toBe(true);

    answer = true;
    await page.click('[data-testid=delete-version]');
    await expect.poll(() => picker.inputValue()).toBe(older.dataset.id);
    await expect.poll(() => picker.locator('option').count()).toBe(1);
    await page.waitForSelector('[data-testid=dataset-item]');
    expect(existsSync(newer.folder)).toBe(false);
    expect(questions[1]).toMatch(/^Delete dataset v2 /);

    await page.click('[data-testid=delete-version]');
    await page.waitForSelector('text=No dataset yet: upload screenshots and build one.');
    expect(questions[2]).toMatch(/^Delete dataset v1 /);
    expect(web.app.catalog.listDatasets(rin.id)).toEqual([]);
  }, 120_000);
});

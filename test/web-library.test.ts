// test/web-library.test.ts — the web app's library features in chromium against a real server on loopback:
// renaming a character inline, uploading a screenshot already uploaded, uploading a LoRA made elsewhere and
// the LoRA page's download formats. Screenshots go to test-artifacts/web/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidPng } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

const ARTIFACTS = join(import.meta.dirname, '..', 'test-artifacts', 'web');

let web: WebSession;
let url: string;
let page: Page;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  web = await startWebSession('web-library', { runners: {} });
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe('web app: library', () => {
  it('renames a character inline; a taken name is said beside the field, Escape leaves the name as it was', async () => {
    const mina = web.app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    web.app.catalog.createCharacter({ name: 'Sora', trigger: 'sora_tl', classWord: 'girl' });
    await page.goto(url);
    await page.getByRole('button', { name: 'Rename Mina' }).click();
    const field = page.getByRole('textbox', { name: 'New name for Mina' });
    await field.fill('sora');
    await field.press('Enter');
    const alert = page.locator('.card-rename [role=alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toBe(
      'the name "sora" is taken by another character (Sora); Mina keeps its name. Choose another name.',
    );
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await shot('characters-rename-taken');
    await field.press('Escape');
    await page.getByRole('button', { name: 'Rename Mina' }).waitFor();
    expect(web.app.catalog.getCharacter(mina.id).name).toBe('Mina');

    await page.getByRole('button', { name: 'Rename Mina' }).click();
    await page.getByRole('textbox', { name: 'New name for Mina' }).fill('Mina (summer)');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Rename Mina (summer)' }).waitFor();
    expect(web.app.catalog.getCharacter(mina.id)).toMatchObject({
      name: 'Mina (summer)',
      trigger: 'mina_tl',
    });
    const names = await page.locator('[data-testid=character-card] strong').allTextContents();
    expect(names).toEqual(['Mina (summer)', 'Sora']);
  }, 60_000);

  it('says how many screenshots were already uploaded, and stores them once', async () => {
    const hana = web.app.catalog.createCharacter({ name: 'Hana', trigger: 'hana_tl', classWord: 'girl' });
    const buffer = await solidPng(32, 24, [30, 90, 200]);
    const file = (name: string) => ({ name, mimeType: 'image/png', buffer });
    await page.goto(`${url}/#/c/${hana.id}/upload`);
    await page.setInputFiles('[data-testid=upload-input]', [file('page1.png')]);
    await page.waitForSelector('[data-testid=upload-summary]:has-text("Uploaded 1 screenshot.")');
    await page.setInputFiles('[data-testid=upload-input]', [file('page1 copy.png'), file('page1 again.png')]);
    const summary = page.locator('[data-testid=upload-summary]');
    await page.waitForSelector('[data-testid=upload-summary]:has-text("already uploaded")');
    expect(await summary.textContent()).toBe(
      'Uploaded 0 screenshots; 2 already uploaded (not stored again).',
    );
    await shot('upload-duplicates');
    expect(web.app.catalog.listImages(hana.id).map((image) => image.originalName)).toEqual(['page1.png']);
  }, 60_000);
});

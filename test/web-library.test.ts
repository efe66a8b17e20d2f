// test/web-library.test.ts — the web app's library features in chromium against a real server on loopback:
// renaming a character inline, uploading a screenshot already uploaded, uploading a LoRA made elsewhere and
// the LoRA page's download formats. Screenshots go to test-artifacts/web/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});

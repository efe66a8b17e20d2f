// test/web-library.test.ts — the web app's library features in chromium against a real server on loopback:
// renaming a character inline, uploading a screenshot already uploaded, uploading a LoRA made elsewhere and
// the LoRA page's download formats. Screenshots go to test-artifacts/web/.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kohyaLoraFile } from './helpers/kohya-lora-file.js';
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

  it('names the screenshots already uploaded, and stores them once', async () => {
    const hana = web.app.catalog.createCharacter({ name: 'Hana', trigger: 'hana_tl', classWord: 'girl' });
    const buffer = await solidPng(64, 64, [30, 90, 200]);
    const file = (name: string) => ({ name, mimeType: 'image/png', buffer });
    await page.goto(`${url}/#/c/${hana.id}/upload`);
    await page.setInputFiles('[data-testid=upload-input]', [file('page1.png')]);
    await page.waitForSelector('[data-testid=upload-summary]:has-text("Uploaded 1 screenshot.")');
    await page.setInputFiles('[data-testid=upload-input]', [file('page1 copy.png'), file('page1 again.png')]);
    const summary = page.locator('[data-testid=upload-summary]');
    await page.waitForSelector('[data-testid=upload-summary]:has-text("already uploaded")');
    expect(await summary.textContent()).toBe(
      'Uploaded 0 screenshots; already uploaded, not stored again: page1 copy.png (same as page1.png), page1 again.png (same as page1.png).',
    );
    await shot('upload-duplicates');
    expect(web.app.catalog.listImages(hana.id).map((image) => image.originalName)).toEqual(['page1.png']);
  }, 60_000);

  it('uploads a LoRA made elsewhere on the LoRA page, says why a file is refused, and lists it in Generate', async () => {
    const yui = web.app.catalog.createCharacter({ name: 'Yui', trigger: 'yui_tl', classWord: 'girl' });
    const lora = await kohyaLoraFile('web-library-lora', 'yui');
    const file = (name: string, buffer: Buffer) => ({ name, mimeType: 'application/octet-stream', buffer });

    await page.goto(`${url}/#/c/${yui.id}/lora`);
    await page.waitForSelector('text=No LoRA yet: train one, or upload one made elsewhere.');
    await page.setInputFiles('[data-testid=lora-upload-input]', [
      file('notes.safetensors', Buffer.from('hello')),
    ]);
    const error = page.locator('[data-testid=lora-upload-error]');
    await error.waitFor();
    expect(await error.textContent()).toMatch(/^notes\.safetensors: .*Nothing was stored\.$/);

    await page.setInputFiles('[data-testid=lora-upload-input]', [file('yui_civitai.safetensors', lora)]);
    await page.waitForSelector('[data-testid=snippet]:has-text("<lora:yui_civitai:0.8>")');
    expect(await error.count()).toBe(0);
    await shot('lora-uploaded');
    const stored = web.app.catalog.listArtifacts({ characterId: yui.id, kind: 'lora' });
    expect(stored.map((a) => [a.name, a.meta.uploaded])).toEqual([['yui_civitai', true]]);

    // every download format, each a working link
    const links = page.locator('a[href*="/download?format="]');
    const hrefs = await links.evaluateAll((all) => all.map((a) => a.getAttribute('href')));
    const id = stored[0]?.id;
    expect(hrefs).toEqual(
      ['kohya', 'kohya-fp16', 'diffusers', 'peft'].map((f) => `/api/loras/${id}/download?format=${f}`),
    );
    expect(await links.allTextContents()).toEqual([
      'Download (WebUI / ComfyUI, kohya)',
      'kohya fp16',
      'Download (diffusers)',
      'PEFT adapter (.zip)',
    ]);
    const fp16 = page.waitForEvent('download');
    await page.click('a:has-text("kohya fp16")');
    expect((await fp16).suggestedFilename()).toBe('yui_civitai.fp16.safetensors');

    await page.goto(`${url}/#/c/${yui.id}/generate`);
    await page.waitForSelector(`option[value="${stored[0]?.id}"]`, { state: 'attached' });
  }, 60_000);
});

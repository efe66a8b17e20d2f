// test/web-lora-delete.test.ts — the LoRA page's Delete button in chromium against a real server on loopback: it
// asks first (Cancel keeps the LoRA), deletes on OK (the page then says there is no LoRA, the file is gone), and a
// LoRA a queued generate job uses is refused in the page's words, the Generate page linked.
import { existsSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kohyaLoraFile } from './helpers/kohya-lora-file.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let url: string;
let page: Page;

beforeAll(async () => {
  web = await startWebSession('web-lora-delete', { runners: {} });
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

describe('web app: deleting a LoRA', () => {
  it('asks first, refuses while a generate job uses it, and deletes it on OK', async () => {
    const rin = web.app.catalog.createCharacter({ name: 'Rin', trigger: 'rin_tl', classWord: 'girl' });
    await page.goto(`${url}/#/c/${rin.id}/lora`);
    await page.waitForSelector('text=No LoRA yet: train one, or upload one made elsewhere.');
    await page.setInputFiles('[data-testid=lora-upload-input]', [
      {
        name: 'rin.safetensors',
        mimeType: 'application/octet-stream',
        buffer: await kohyaLoraFile('web-lora-delete-file', 'rin'),
      },
    ]);
    await page.waitForSelector('[data-testid=snippet]:has-text("<lora:rin:0.8>")');
    const [lora] = web.app.catalog.listArtifacts({ characterId: rin.id, kind: 'lora' });
    if (!lora) throw new Error('the upload stored no LoRA');
    const file = web.app.catalog.artifactFilePath(lora.id);

    const questions: string[] = [];
    let answer = false;
    page.on('dialog', (dialog) => {
      questions.push(dialog.message());
      void (answer ? dialog.accept() : dialog.dismiss());
    });
    await page.click('[data-testid=delete-lora]');
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toMatch(/^Delete the LoRA rin\? .*this cannot be undone/);
    expect(existsSync(file)).toBe(true);

    const job = web.app.jobStore.createJob('generate', rin.id, { loraId: lora.id });
    answer = true;
    await page.click('[data-testid=delete-lora]');
    // the page's words, the Generate page linked (before: the API's "Cancel that job (the Cancel button by its
    // status, or POST /api/jobs/<id>/cancel)")
    const refused = await page.waitForSelector('[data-testid=lora-in-use]');
    expect(await refused.textContent()).toBe(
      `The LoRA ${lora.name} was not deleted: a generate job that is not done uses it (job ${job.id}, queued). Cancel it ` +
        'on the Generate page or let it finish, then delete the LoRA.',
    );
    expect(await page.getAttribute('[data-testid=lora-in-use] a', 'href')).toBe(`#/c/${rin.id}/generate`);
    expect(existsSync(file)).toBe(true);

    web.app.jobStore.transition(job.id, 'cancelled');
    await page.click('[data-testid=delete-lora]');
    await page.waitForSelector('text=No LoRA yet: train one, or upload one made elsewhere.');
    expect(existsSync(file)).toBe(false);
    expect(web.app.catalog.listArtifacts({ characterId: rin.id, kind: 'lora' })).toEqual([]);
  }, 120_000);
});

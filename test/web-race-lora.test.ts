// test/web-race-lora.test.ts — stale answers on the LoRA page, in chromium, forced by holding requests back: the
// metadata shown is the selected LoRA's (a slower earlier selection's showed under it); a re-read on tab return
// does not undo a LoRA the user picked meanwhile; a download refused after the user went to another tab shows no
// banner there (the app drops an error of a page no longer shown).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLoraTools } from '../src/server/lora-tools.js';
import { holdAnswer, holdBack, sleep } from './helpers/held-requests.js';
import { trainedLora } from './helpers/trained-lora.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;

beforeAll(async () => {
  web = await startWebSession('web-race-lora', {
    loraTools: {
      ...defaultLoraTools,
      // the file's name as a fact, so each LoRA's metadata is told apart
      inspect: async (path: string) => ({ format: 'kohya', algorithm: 'lora', probeOf: basename(path) }),
    },
  });
}, 180_000);

afterAll(() => web?.close());

/** A character with two LoRAs: alpha (trained, mina.safetensors) and beta (newest, beta.safetensors). */
async function twoLoras(name: string) {
  const { characterId, lora: alpha } = await trainedLora(web.app, name);
  const rel = `uploads/${characterId}/beta.safetensors`;
  mkdirSync(dirname(join(web.app.dataDir, rel)), { recursive: true });
  writeFileSync(join(web.app.dataDir, rel), 'lora');
  const beta = web.app.catalog.addArtifact({
    characterId,
    jobId: null,
    kind: 'lora',
    name: 'beta',
    path: rel,
    meta: {},
  });
  return { characterId, alphaId: alpha.id, betaId: beta.id };
}

describe('LoRA page: stale answers', () => {
  it("shows the selected LoRA's metadata, not a slower earlier selection's", async () => {
    const page = web.page;
    const { characterId, alphaId, betaId } = await twoLoras('InspectRace');
    await page.goto(`${web.url}/#/c/${characterId}/lora`);
    const meta = page.locator('table.meta').first();
    await expect.poll(() => meta.textContent()).toContain('beta.safetensors');
    await holdBack(page, '**/api/loras/*/inspect', 1_500, (route) => route.request().url().includes(alphaId));
    const select = page.locator('select').first();
    try {
      await select.selectOption(alphaId);
      await select.selectOption(betaId);
      await sleep(2_500);
    } finally {
      await page.unroute('**/api/loras/*/inspect');
    }
    expect(await select.inputValue()).toBe(betaId);
    expect(await meta.textContent()).toContain('beta.safetensors');
  }, 60_000);

  it('a re-read on tab return does not undo a LoRA the user picked meanwhile', async () => {
    const page = web.page;
    const { characterId, alphaId, betaId } = await twoLoras('ReturnRace');
    await page.goto(`${web.url}/#/c/${characterId}/lora`);
    const select = page.locator('select').first();
    await expect.poll(() => select.inputValue()).toBe(betaId);
    await holdBack(page, '**/api/artifacts?*', 1_500, () => true);
    try {
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      await sleep(200);
      await select.selectOption(alphaId);
      await sleep(2_500);
    } finally {
      await page.unroute('**/api/artifacts?*');
    }
    expect(await select.inputValue()).toBe(alphaId);
  }, 60_000);

  it('a download refused after the user went to another tab shows no banner there', async () => {
    const page = web.page;
    const { characterId, file } = await trainedLora(web.app, 'DownloadLeave');
    rmSync(file);
    await page.goto(`${web.url}/#/c/${characterId}/lora`);
    const link = page.locator('a[href*="/download?format="]').first();
    await link.waitFor();
    await holdAnswer(page, '**/api/loras/*/download?*', 1_500, () => true);
    try {
      await link.click();
      await page.locator('nav a', { hasText: 'Generate' }).click();
      await page.waitForSelector('h1:has-text("DownloadLeave: Generate")');
      await sleep(3_000);
    } finally {
      await page.unroute('**/api/loras/*/download?*');
    }
    expect(await page.getByRole('alert').allTextContents()).toEqual([]);
  }, 60_000);
});

// test/web-stale-guards.test.ts — the pages' "newest answer wins" guards (web/src/components/newest-read.ts) in
// chromium against a real server. The LoRA page: a LoRA the user picks while the list is read again (after a
// Delete or an upload) no longer drops that read's answer (before: the deleted LoRA stayed in the dropdown, the
// uploaded one never came, until the tab was left and re-entered). A read that fails no longer blocks an older
// read's answer: the LoRA page opened while the server was down, then sent to one of its LoRAs' addresses (that
// read failed), fills in when the server is back (before: blank until a reload); the Dataset page's version, whose
// tab-return re-read failed meanwhile, too (before: no item until the next tab return).
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLoraTools } from '../src/server/lora-tools.js';
import { holdAnswer, isGet, sleep } from './helpers/held-requests.js';
import { kohyaLoraFile } from './helpers/kohya-lora-file.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { trainedLora } from './helpers/trained-lora.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;

beforeAll(async () => {
  web = await startWebSession('web-stale-guards', {
    loraTools: {
      ...defaultLoraTools,
      inspect: async (path: string) => ({ format: 'kohya', algorithm: 'lora', probeOf: basename(path) }),
    },
  });
}, 180_000);

afterAll(() => web?.close());

/** A character with a trained LoRA (alpha) and two uploaded ones (beta, gamma: the newest, shown first). */
async function threeLoras(name: string) {
  const { characterId, lora: alpha } = await trainedLora(web.app, name);
  const add = (loraName: string) => {
    const rel = `uploads/${characterId}/${loraName}.safetensors`;
    mkdirSync(dirname(join(web.app.dataDir, rel)), { recursive: true });
    writeFileSync(join(web.app.dataDir, rel), 'lora');
    return web.app.catalog.addArtifact({
      characterId,
      jobId: null,
      kind: 'lora',
      name: loraName,
      path: rel,
      meta: {},
    });
  };
  const beta = add('beta');
  const gamma = add('gamma');
  return { characterId, alphaId: alpha.id, betaId: beta.id, gammaId: gamma.id };
}

/** Deletes the LoRA shown (gamma) with the list's re-read answering 1.5 s late; `meanwhile` runs during it. */
async function deleteShownSlowly(meanwhile: () => Promise<void>) {
  const page = web.page;
  page.once('dialog', (dialog) => void dialog.accept());
  await holdAnswer(page, '**/api/artifacts?*', 1_500, isGet);
  try {
    await page.locator('[data-testid=delete-lora]').click();
    await sleep(300);
    await meanwhile();
    await sleep(2_500);
  } finally {
    await page.unroute('**/api/artifacts?*');
  }
}

/** The ids of the LoRAs the dropdown lists. */
const listedIds = () =>
  web.page
    .locator('select')
    .first()
    .locator('option')
    .evaluateAll((options) => options.map((o) => (o as HTMLOptionElement).value));

describe('LoRA page: a pick while the list is read again', () => {
  it('the deleted LoRA leaves the list, and the LoRA picked meanwhile stays shown', async () => {
    const { characterId, alphaId, betaId, gammaId } = await threeLoras('PickAfterDelete');
    await web.page.goto(`${web.url}/#/c/${characterId}/lora`);
    const select = web.page.locator('select').first();
    await expect.poll(() => select.inputValue()).toBe(gammaId);
    await deleteShownSlowly(async () => {
      await select.selectOption(alphaId); // the user picks another LoRA while the list is read again
    });
    expect(web.app.catalog.listArtifacts({ characterId, kind: 'lora' }).map((a) => a.id)).not.toContain(
      gammaId,
    );
    expect(await listedIds()).toEqual([alphaId, betaId]); // before: gamma stayed listed
    expect(await select.inputValue()).toBe(alphaId);
  }, 60_000);

  it('a LoRA uploaded while the user picks another is listed, the pick kept', async () => {
    const page = web.page;
    const { characterId, alphaId } = await threeLoras('PickAfterUpload');
    await page.goto(`${web.url}/#/c/${characterId}/lora`);
    const select = page.locator('select').first();
    await page.locator('[data-testid=delete-lora]').waitFor();
    await holdAnswer(page, '**/api/artifacts?*', 1_500, isGet);
    try {
      const uploaded = page.waitForResponse(
        (r) => r.request().method() === 'POST' && r.url().includes('/api/loras?'),
      );
      await page.setInputFiles('[data-testid=lora-upload-input]', [
        {
          name: 'delta.safetensors',
          mimeType: 'application/octet-stream',
          buffer: await kohyaLoraFile('web-stale-guards-file', 'delta'),
        },
      ]);
      expect((await uploaded).status()).toBe(201);
      await sleep(300);
      await select.selectOption(alphaId); // the user picks another LoRA while the list is read again
      await sleep(2_500);
    } finally {
      await page.unroute('**/api/artifacts?*');
    }
    const [delta] = web.app.catalog
      .listArtifacts({ characterId, kind: 'lora' })
      .filter((a) => a.name === 'delta');
    expect(await listedIds()).toContain(delta?.id); // before: the uploaded LoRA was not listed
    expect(await select.inputValue()).toBe(alphaId);
  }, 60_000);

  it('with no pick meanwhile the deleted LoRA leaves the list and the newest is shown', async () => {
    const { characterId, alphaId, betaId } = await threeLoras('NoPickAfterDelete');
    await web.page.goto(`${web.url}/#/c/${characterId}/lora`);
    await web.page.locator('[data-testid=delete-lora]').waitFor();
    await deleteShownSlowly(async () => {});
    expect(await listedIds()).toEqual([alphaId, betaId]);
    expect(await web.page.locator('select').first().inputValue()).toBe(betaId);
  }, 60_000);
});

describe('a failed read does not block an older read', () => {
  it('the LoRA page opened while the server was down fills in once it is back, after a failed address read', async () => {
    const page = web.page;
    const { characterId, alphaId } = await threeLoras('BlankAfterDown');
    // the server cannot be reached for the list: the opening read retries (1 s, 2 s, ...)
    await page.route('**/api/artifacts?*', (route) => route.abort('connectionrefused'));
    try {
      await page.goto(`${web.url}/#/c/${characterId}/lora`);
      await sleep(500);
      // the user follows a link to one of its LoRAs (hashchange): that read fails too
      await page.evaluate((href) => {
        window.location.hash = href;
      }, `#/c/${characterId}/lora/${alphaId}`);
      await sleep(500);
    } finally {
      await page.unroute('**/api/artifacts?*'); // the server is back
    }
    // the opening read's retry answers (before: dropped, the page stayed blank)
    await expect.poll(() => page.locator('select').count(), { timeout: 10_000 }).toBeGreaterThan(0);
  }, 60_000);

  it("the Dataset page's version fills in once the server is back, after a failed tab-return read", async () => {
    const page = web.page;
    const { characterId } = await seedDataset(web.app, 'DownDataset');
    await page.route('**/api/datasets/*', (route) => route.abort('connectionrefused'));
    try {
      await page.goto(`${web.url}/#/c/${characterId}/dataset`);
      await page.locator('select').first().waitFor(); // the list of versions came; their items cannot
      await sleep(300);
      await page.evaluate(() => window.dispatchEvent(new Event('focus'))); // a tab return: its read fails too
      await sleep(500);
    } finally {
      await page.unroute('**/api/datasets/*');
    }
    // the opening read's retry answers (before: dropped, no item until the next tab return)
    await expect.poll(() => page.locator('[data-testid=dataset-item]').count(), { timeout: 10_000 }).toBe(2);
  }, 60_000);
});

// test/web-lora-dataset-deleted.test.ts — the LoRA page's Metadata panel in chromium against a real server on
// loopback: a trained LoRA's dataset version is named as the Train page names it ("v1 · 1 image · …"), and one whose
// version was deleted (DELETE /api/datasets/:id keeps the LoRA) is said so, from one read of the character's versions.
// A version deleted in another tab while the page is open is said deleted once the user comes back to the tab (before:
// its label stayed until the LoRA was opened again).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loraTrainedOn, preppedVersion } from './helpers/dataset-version.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;

beforeAll(async () => {
  web = await startWebSession('web-lora-dataset-deleted', { runners: {} });
}, 180_000);

afterAll(() => web?.close());

/** A character `name` with two dataset versions and a LoRA trained on each (`old` on the first). */
async function twoVersionsTwoLoras(name: string) {
  const { app } = web;
  const character = app.catalog.createCharacter({
    name,
    trigger: `${name.toLowerCase()}_tl`,
    classWord: 'girl',
  });
  const { dataset: first } = await preppedVersion(app, character.id);
  const { dataset: second } = await preppedVersion(app, character.id);
  const { lora: old } = await loraTrainedOn(app, character.id, first.id);
  const { lora: newest } = await loraTrainedOn(app, character.id, second.id);
  return { character, first, second, old, newest };
}
/** The Metadata panel's `dataset` row. */
const datasetRow = () => web.page.locator('table.meta tr:has(th:text-is("dataset")) td');

describe("LoRA page: a LoRA's dataset version", () => {
  it('is named when it exists and said deleted when it was deleted', async () => {
    const { app, page, url } = web;
    const { character: mina, first, old, newest } = await twoVersionsTwoLoras('Mina');
    const deleted = await app.inject({ method: 'DELETE', url: `/api/datasets/${first.id}` });
    expect(deleted.statusCode).toBe(204);

    const datasetReads: string[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith(`/api/characters/${mina.id}/datasets`)) datasetReads.push(request.url());
    });
    await page.goto(`${url}/#/c/${mina.id}/lora/${newest.id}`);
    // the version left is now v1, as the Train page lists it (before: "datasetId" and the version's id)
    const row = datasetRow();
    await expect.poll(() => row.textContent()).toMatch(/^v1 · 1 image · .+ · newest$/);

    await page.locator('select').first().selectOption(old.id);
    await expect.poll(() => row.textContent()).toBe(`dataset version ${first.id} (deleted)`);
    expect(await page.locator('table.meta th:text-is("datasetId")').count()).toBe(0);
    // the page's one read told of both LoRAs
    expect(datasetReads).toHaveLength(1);
  }, 120_000);
});

describe('LoRA page left open while another tab deletes the dataset version', () => {
  it("says the shown LoRA's version deleted, and names the others anew, once the user comes back", async () => {
    const { app, page, url } = web;
    const { character: ann, second, old, newest } = await twoVersionsTwoLoras('Ann');
    await page.goto(`${url}/#/c/${ann.id}/lora/${newest.id}`);
    const row = datasetRow();
    await expect.poll(() => row.textContent()).toMatch(/^v2 · 1 image · .+ · newest$/);

    // "Delete this version" in another tab
    const deleted = await app.inject({ method: 'DELETE', url: `/api/datasets/${second.id}` });
    expect(deleted.statusCode).toBe(204);
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    // before: "v2 · 1 image · … · newest" stayed
    await expect
      .poll(() => row.textContent(), { timeout: 10_000 })
      .toBe(`dataset version ${second.id} (deleted)`);
    // the version left is v1 and the newest now
    await page.locator('select').first().selectOption(old.id);
    await expect.poll(() => row.textContent()).toMatch(/^v1 · 1 image · .+ · newest$/);
  }, 120_000);
});

// test/web-race-upload.test.ts — stale answers on the Upload page, in chromium, forced by holding requests back: of
// two quick Removes, the first one's late list answer does not bring the second screenshot back; a finished build's
// late re-read does not replace the build started after it; a Build whose dataset check answers after the user
// went on to another page asks no rebuild question there (it asked on the next page, and OK built).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdAnswer, holdBack, isGet, sleep } from './helpers/held-requests.js';
import { fakeTrain, gate } from './helpers/job-stand-ins.js';
import { seedDataset, seedUploads, solidPng } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let prepCalls = 0;
/** Holds the session's first prep job until opened; later ones run until cancelled. */
const firstPrep = gate();
/** Every question the page asked (each is accepted). */
const dialogs: string[] = [];

beforeAll(async () => {
  web = await startWebSession('web-race-upload', {
    runners: {
      prep: async (context) => {
        prepCalls += 1;
        return fakeTrain({ steps: 1, hold: prepCalls === 1 ? firstPrep.promise : gate().promise })(context);
      },
    },
  });
  web.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
}, 180_000);

afterAll(() => web?.close());

/** Stores one screenshot `name` for `characterId`, as an upload leaves it. */
async function addScreenshot(characterId: string, name: string) {
  const rel = `images/${characterId}/${name}`;
  mkdirSync(dirname(join(web.app.dataDir, rel)), { recursive: true });
  const png = await solidPng(256, 256);
  writeFileSync(join(web.app.dataDir, rel), png);
  web.app.catalog.addImages(characterId, [
    {
      id: `${characterId}-${name}`,
      originalName: name,
      storedPath: rel,
      format: 'png',
      width: 256,
      height: 256,
      bytes: png.length,
      sha256: name,
    },
  ]);
}

async function prepJobs(characterId: string): Promise<string[]> {
  const jobs = (await web.app.inject({ url: `/api/jobs?characterId=${characterId}&kind=prep` })).json();
  return jobs.jobs.map((job: { id: string }) => job.id);
}

describe('Upload page: stale answers', () => {
  it("two quick Removes: the first one's late list answer does not bring the second screenshot back", async () => {
    const page = web.page;
    const { characterId } = await seedUploads(web.app, ['one', 'two', 'three']);
    await page.goto(`${web.url}/#/c/${characterId}/upload`);
    await page.locator('button[aria-label="Remove three.png"]').waitFor();
    let reads = 0;
    // the first list read after a Remove is answered before two.png goes; the page gets it 2 s later
    await holdAnswer(page, '**/api/characters/*/images', 2_000, (route) => isGet(route) && ++reads === 1);
    try {
      await page.locator('button[aria-label="Remove one.png"]').click();
      await expect.poll(() => reads).toBeGreaterThanOrEqual(1);
      await page.locator('button[aria-label="Remove two.png"]').click();
      await sleep(3_000);
    } finally {
      await page.unroute('**/api/characters/*/images');
    }
    const shown = await page
      .locator('button.remove')
      .evaluateAll((buttons) => buttons.map((button) => button.getAttribute('aria-label')));
    expect(shown).toEqual(['Remove three.png']);
  }, 60_000);

  it("a finished build's late re-read does not replace the build started after it", async () => {
    const page = web.page;
    const character = web.app.catalog.createCharacter({
      name: 'PrepRace',
      trigger: 'prep_tl',
      classWord: 'girl',
    });
    await addScreenshot(character.id, 'one.png');
    const first = (
      await web.app.inject({
        method: 'POST',
        url: '/api/jobs',
        payload: { kind: 'prep', characterId: character.id, params: {} },
      })
    ).json() as { id: string };
    await page.goto(`${web.url}/#/c/${character.id}/upload`);
    const cancel = page.locator('text=Cancel the build');
    await cancel.waitFor({ timeout: 10_000 });
    // the page's read of the finished build (for its result) comes 2.5 s late: after the next Build started
    await holdAnswer(page, `**/api/jobs/${first.id}`, 2_500, isGet);
    try {
      firstPrep.open();
      const build = page.locator('button', { hasText: /^Build dataset/ });
      await expect.poll(() => cancel.count(), { timeout: 10_000 }).toBe(0);
      await expect.poll(() => build.isEnabled(), { timeout: 10_000 }).toBe(true);
      await build.click();
      await expect.poll(() => cancel.count(), { timeout: 10_000 }).toBe(1);
      await sleep(3_500);
    } finally {
      await page.unroute(`**/api/jobs/${first.id}`);
    }
    expect(await prepJobs(character.id)).toHaveLength(2);
    expect(await cancel.count()).toBe(1);
  }, 60_000);

  it('a Build whose dataset check answers after the user left asks no rebuild question on the next page', async () => {
    const page = web.page;
    const { characterId, datasetId } = await seedDataset(web.app, 'Rebuilder');
    await web.app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: { excluded: true },
    });
    await addScreenshot(characterId, 'one.png');
    const before = await prepJobs(characterId);
    await page.goto(`${web.url}/#/c/${characterId}/upload`);
    const build = page.locator('button', { hasText: /^Build dataset from 1/ });
    await expect.poll(() => build.isEnabled(), { timeout: 10_000 }).toBe(true);
    dialogs.length = 0;
    await holdBack(page, '**/api/characters/*/datasets', 1_500, () => true);
    try {
      await build.click();
      await page.locator('header a', { hasText: 'Models' }).click();
      await page.waitForSelector('h1:has-text("Models")');
      await sleep(2_500);
    } finally {
      await page.unroute('**/api/characters/*/datasets');
    }
    expect(dialogs).toEqual([]);
    expect(await prepJobs(characterId)).toEqual(before);
  }, 60_000);
});

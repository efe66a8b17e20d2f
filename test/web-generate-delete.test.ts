// test/web-generate-delete.test.ts — the Generate page's deletes in chromium against a real server on loopback: an
// image's Delete asks first (Cancel keeps it), then takes the image off the page without a reload (its file gone, the
// focus on the next image's Delete); "Delete this batch" asks naming the count of images left, then the job and its
// images go and the page shows the earlier generations, where an image's Delete works too; its question names the
// job's sweep grids, which go with it. A read of the earlier
// generations begun before a Delete and answered after it does not bring the image back, nor does one answered
// before the Delete's own re-read when that re-read fails. A batch deleted after a Generate replaced it (its Delete
// in flight) leaves the earlier generations too, whether their read answered before or after the delete. A Delete
// refused after the user went to another tab shows its error there, naming the Generate page.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { answerDialogs } from './helpers/dialogs.js';
import { holdAnswer, holdBack, isGet, sleep } from './helpers/held-requests.js';
import { solidPng, untilStopped } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let url: string;
let page: Page;

beforeAll(async () => {
  // a generate job sent from the page runs until the server stops (what it shows does not matter here)
  const generate = async (context: JobContext) => {
    await untilStopped(context.signal);
    return {};
  };
  web = await startWebSession('web-generate-delete', { runners: { generate } });
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

/** A succeeded generate job of `characterId` with an image (weight 1) per seed and a sweep grid per weight of
 * `gridWeights` (as the generate runner records them), each with its PNG file. */
async function finishedGenerate(
  app: FastifyInstance,
  characterId: string,
  seeds: number[],
  gridWeights: number[] = [],
) {
  const job = app.jobStore.createJob('generate', characterId, {});
  app.jobStore.transition(job.id, 'running');
  app.jobStore.transition(job.id, 'succeeded', { result: {} });
  mkdirSync(join(app.dataDir, 'jobs', job.id, 'images'), { recursive: true });
  const png = await solidPng(16, 16);
  const files = seeds.map((seed) => {
    const rel = `jobs/${job.id}/images/seed-${seed}.png`;
    writeFileSync(join(app.dataDir, rel), png);
    app.catalog.addArtifact({
      characterId,
      jobId: job.id,
      kind: 'image',
      name: `seed ${seed} · weight 1`,
      path: rel,
      meta: { seed, weight: 1 },
    });
    return join(app.dataDir, rel);
  });
  const grids = gridWeights.map((weight) => {
    const rel = `jobs/${job.id}/images/grid-weight-${weight}.png`;
    writeFileSync(join(app.dataDir, rel), png);
    app.catalog.addArtifact({
      characterId,
      jobId: job.id,
      kind: 'grid',
      name: `grid · weight ${weight}`,
      path: rel,
      meta: { weight, seeds },
    });
    return join(app.dataDir, rel);
  });
  return { job, files, grids };
}

describe('Generate page: deleting generated images', () => {
  it("an image's Delete, then Delete this batch, then an earlier image's Delete, each asked first", async () => {
    const { app } = web;
    const mina = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const older = await finishedGenerate(app, mina.id, [7]);
    const latest = await finishedGenerate(app, mina.id, [1, 2]);
    await page.goto(`${url}/#/c/${mina.id}/generate`);
    const shown = page.locator('[data-testid=results] img');
    await expect.poll(() => shown.count()).toBe(2);
    let answer = false;
    const questions = answerDialogs(page, () => answer);

    // Cancel keeps it
    await page.getByRole('button', { name: 'Delete seed 1 · weight 1' }).click();
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toMatch(/^Delete the image seed 1 · weight 1\? .*this cannot be undone/);
    expect(await shown.count()).toBe(2);
    expect(existsSync(latest.files[0] ?? '')).toBe(true);

    answer = true;
    await page.getByRole('button', { name: 'Delete seed 1 · weight 1' }).click();
    await expect.poll(() => shown.count()).toBe(1);
    expect(existsSync(latest.files[0] ?? '')).toBe(false);
    expect(existsSync(latest.files[1] ?? '')).toBe(true);
    expect(app.catalog.listArtifacts({ jobId: latest.job.id }).map((a) => a.name)).toEqual([
      'seed 2 · weight 1',
    ]);
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.getAttribute('aria-label')))
      .toBe('Delete seed 2 · weight 1');

    await page.click('[data-testid=delete-batch]');
    await expect.poll(() => questions.length).toBe(3);
    expect(questions[2]).toMatch(/^Delete this batch: its 1 image, .*This cannot be undone/);
    await expect.poll(() => page.locator('[data-testid=delete-batch]').count()).toBe(0);
    expect(await shown.count()).toBe(0);
    expect(existsSync(join(app.dataDir, 'jobs', latest.job.id))).toBe(false);
    expect(() => app.jobStore.getJob(latest.job.id)).toThrow(/not found/);
    // the older job's image is listed among the earlier generations, and goes with its own Delete
    await page.click('[data-testid=earlier-images] summary');
    await page.getByRole('button', { name: /^Delete seed 7 · weight 1 · / }).click();
    await expect.poll(() => page.locator('[data-testid=earlier-images]').count()).toBe(0);
    expect(questions[3]).toMatch(/^Delete the image seed 7 · weight 1 · /);
    expect(existsSync(older.files[0] ?? '')).toBe(false);
    expect(app.catalog.listArtifacts({ characterId: mina.id })).toEqual([]);
    await expect(page.getByRole('alert').count()).resolves.toBe(0);
    page.removeAllListeners('dialog');
  }, 120_000);

  it("Delete this batch names the job's sweep grids, which go with its images", async () => {
    const { app } = web;
    const hana = app.catalog.createCharacter({ name: 'Hana', trigger: 'hana_tl', classWord: 'girl' });
    const latest = await finishedGenerate(app, hana.id, [1, 2], [1]);
    await page.goto(`${url}/#/c/${hana.id}/generate`);
    await expect.poll(() => page.locator('[data-testid=results] img').count()).toBe(2);
    const questions = answerDialogs(page, () => true);

    await page.click('[data-testid=delete-batch]');
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toMatch(
      /^Delete this batch: its 2 images and 1 sweep grid, .*This cannot be undone/,
    );
    await expect.poll(() => page.locator('[data-testid=delete-batch]').count()).toBe(0);
    expect(existsSync(latest.grids[0] ?? '')).toBe(false);
    expect(app.catalog.listArtifacts({ characterId: hana.id })).toEqual([]);
    page.removeAllListeners('dialog');
  }, 60_000);

  it('a Delete refused after the user opened the Train tab shows its error there, naming the Generate page', async () => {
    const { app } = web;
    const rin = app.catalog.createCharacter({ name: 'Rin', trigger: 'rin_tl', classWord: 'girl' });
    const { files } = await finishedGenerate(app, rin.id, [3]);
    const tab = await web.browser.newPage();
    answerDialogs(tab, () => true);
    await tab.goto(`${url}/#/c/${rin.id}/generate`);
    await tab.waitForSelector('[data-testid=results] img');
    const refused = 'generated image refused for this test';
    await tab.route('**/api/generated-images/*', async (route) => {
      await sleep(1_500);
      await route.fulfill({
        status: 409,
        contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'TL_ERR_CONFLICT', message: refused } }),
      });
    });
    await tab.getByRole('button', { name: 'Delete seed 3 · weight 1' }).click();
    await tab.locator('nav a', { hasText: 'Train' }).click();
    await tab.waitForSelector('h1:has-text("Rin: Train")');
    const alert = tab.getByRole('alert');
    await alert.waitFor({ timeout: 10_000 });
    expect(await alert.textContent()).toContain(`${refused} (from Rin: Generate)`);
    expect(existsSync(files[0] ?? '')).toBe(true);
    await tab.close();
  }, 60_000);

  it('a read of the earlier generations begun before a Delete and answered after it does not bring the image back', async () => {
    const { app } = web;
    const yuki = app.catalog.createCharacter({ name: 'Yuki', trigger: 'yuki_tl', classWord: 'girl' });
    await finishedGenerate(app, yuki.id, [7, 8]);
    const latest = await finishedGenerate(app, yuki.id, [1]);
    const tab = await web.browser.newPage();
    answerDialogs(tab, () => true);
    await tab.goto(`${url}/#/c/${yuki.id}/generate`);
    await tab.waitForSelector('[data-testid=results] img');
    await tab.click('[data-testid=earlier-images] summary');
    const seven = tab.getByRole('button', { name: /^Delete seed 7 · weight 1 · / });
    await seven.waitFor();
    // the read the batch's delete starts (the job shown changed) reaches the page only 2 s after the server answered
    let holding = true;
    await holdAnswer(
      tab,
      `**/api/artifacts?characterId=${yuki.id}*`,
      2_000,
      (route) => holding && isGet(route),
    );
    await tab.click('[data-testid=delete-batch]');
    await expect.poll(() => tab.locator('[data-testid=delete-batch]').count()).toBe(0);
    expect(() => app.jobStore.getJob(latest.job.id)).toThrow(/not found/);
    holding = false;
    await seven.click();
    await expect.poll(() => seven.count()).toBe(0);
    await sleep(2_500); // the held answer, with seed 7 in it, has come by now
    expect(await seven.count()).toBe(0);
    await expect
      .poll(() => tab.getByRole('button', { name: /^Delete seed 8 · weight 1 · / }).count())
      .toBe(1);
    await tab.close();
  }, 60_000);

  it('an earlier read answered after an image Delete does not bring it back when the re-read after it fails', async () => {
    const { app } = web;
    const sora = app.catalog.createCharacter({ name: 'Sora', trigger: 'sora_tl', classWord: 'girl' });
    await finishedGenerate(app, sora.id, [7, 8, 9]);
    await finishedGenerate(app, sora.id, [1]);
    const tab = await web.browser.newPage();
    answerDialogs(tab, () => true);
    await tab.goto(`${url}/#/c/${sora.id}/generate`);
    await tab.waitForSelector('[data-testid=results] img');
    await tab.click('[data-testid=earlier-images] summary');
    const earlierImage = (seed: number) =>
      tab.getByRole('button', { name: new RegExp(`^Delete seed ${seed} · `) });
    await earlierImage(7).waitFor();
    // seed 7's re-read: answered by the server at once (seed 8 in it), handed to the page 3 s later; seed 8's
    // re-read fails
    let reads = 0;
    let firstAnswered = false;
    await tab.route(`**/api/artifacts?characterId=${sora.id}*`, async (route) => {
      if (!isGet(route)) return route.continue();
      reads += 1;
      if (reads === 1) {
        const response = await route.fetch();
        firstAnswered = true;
        await sleep(3_000);
        await route.fulfill({ response }).catch(() => {});
      } else if (reads === 2) await route.abort().catch(() => {});
      else await route.continue().catch(() => {});
    });
    await earlierImage(7).click();
    await expect.poll(() => earlierImage(7).count()).toBe(0);
    await expect.poll(() => firstAnswered).toBe(true);
    await earlierImage(8).click();
    await expect.poll(() => earlierImage(8).count()).toBe(0);
    await expect.poll(() => reads).toBe(2);
    await sleep(3_500); // the held answer, with seed 8 in it, has come by now
    expect(await earlierImage(8).count()).toBe(0);
    expect(await earlierImage(9).count()).toBe(1);
    await tab.close();
  }, 60_000);

  /** A finished job's "Delete this batch" reaching the server `deleteHeldMs` late, a Generate replacing that job
   * meanwhile; the earlier generations' reads are handed to the page `answerHeldMs` after the server answered. */
  async function batchDeletedAfterGenerate(name: string, deleteHeldMs: number, answerHeldMs: number) {
    const { app } = web;
    const character = app.catalog.createCharacter({ name, trigger: 'ao_tl', classWord: 'girl' });
    const older = await finishedGenerate(app, character.id, [7]);
    const latest = await finishedGenerate(app, character.id, [1, 2]);
    const known = [older.job.id, latest.job.id];
    const tab = await web.browser.newPage();
    answerDialogs(tab, () => true);
    await tab.goto(`${url}/#/c/${character.id}/generate`);
    await expect.poll(() => tab.locator('[data-testid=results] img').count()).toBe(2);
    const earlier = tab.locator('[data-testid=earlier-images] [data-testid=image-delete]');
    await expect.poll(() => earlier.count()).toBe(1);
    await holdBack(
      tab,
      `**/api/jobs/${latest.job.id}*`,
      deleteHeldMs,
      (route) => route.request().method() === 'DELETE',
    );
    await tab.getByLabel('Prompt', { exact: true }).fill('ao_tl, 1girl'); // the reopened job's params had none
    if (answerHeldMs > 0)
      await holdAnswer(tab, `**/api/artifacts?characterId=${character.id}*`, answerHeldMs, isGet);
    await tab.click('[data-testid=delete-batch]');
    await tab.click('button[type=submit]'); // Generate: a new job (it runs until the server stops) replaces the one deleting
    await expect.poll(() => tab.locator('[data-testid=delete-batch]').count()).toBe(0);
    const sent = () =>
      app.jobStore.listJobs({ characterId: character.id }).filter((j) => !known.includes(j.id));
    await expect.poll(() => sent().length).toBe(1);
    await expect
      .poll(() => app.catalog.listArtifacts({ jobId: latest.job.id }).length, { timeout: 10_000 })
      .toBe(0);
    return { tab, earlier };
  }

  it('a batch deleted after a Generate replaced it leaves the earlier generations (their read answered first)', async () => {
    const { tab, earlier } = await batchDeletedAfterGenerate('Ao', 2_000, 0);
    await expect.poll(() => earlier.count()).toBe(1);
    await sleep(1_000);
    expect(await earlier.count()).toBe(1);
    await tab.close();
  }, 60_000);

  it('a batch deleted after a Generate replaced it does not come back with a read begun before the delete', async () => {
    const { tab, earlier } = await batchDeletedAfterGenerate('Ren', 1_000, 3_000);
    await sleep(3_500); // the held answers, with the deleted batch's images in them, have come by now
    expect(await earlier.count()).toBe(1);
    await tab.close();
  }, 60_000);
});

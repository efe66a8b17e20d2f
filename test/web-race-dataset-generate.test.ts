// test/web-race-dataset-generate.test.ts — stale answers on the Dataset and Generate pages, in chromium, forced by
// holding requests back: of two quick excludes, the first one's late answer does not undo the second (nor does the
// second's, when it reached the server first); an exclude answered after another version was picked does not
// bring the old version's rows back; a finished job's late re-read (nor its images) does not replace the job
// Generate started since.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { excludeButton } from './helpers/dataset-rows.js';
import { holdAnswer, holdBack, isGet, sleep } from './helpers/held-requests.js';
import { fakeTrain, gate } from './helpers/job-stand-ins.js';
import { preppedVersion } from './helpers/dataset-version.js';
import { seedDataset, solidPng } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;

beforeAll(async () => {
  web = await startWebSession('web-race-dataset-generate', {
    // a generate job runs until cancelled
    runners: { generate: fakeTrain({ steps: 1, hold: gate().promise }) },
  });
  web.page.on('dialog', (dialog) => void dialog.accept());
}, 180_000);

afterAll(() => web?.close());

const ITEMS = '**/api/datasets/*/items/*';
const ARTIFACTS = '**/api/artifacts?*';

/** Each item's excluded state on the server, by key. */
async function excludedOnServer(datasetId: string): Promise<Record<string, boolean>> {
  const detail = (await web.app.inject({ url: `/api/datasets/${datasetId}` })).json();
  return Object.fromEntries(
    detail.items.map((item: { key: string; excluded: boolean }) => [item.key, item.excluded]),
  );
}

/** Opens `characterId`'s Dataset page, excludes a.png then b.png 300 ms later (the requests held as `hold` says),
 * and gives the held one time to land: the labels of a.png's and b.png's buttons then. */
async function excludeBoth(characterId: string, hold: () => Promise<void>): Promise<(string | null)[]> {
  const page = web.page;
  await page.goto(`${web.url}/#/c/${characterId}/dataset`);
  await excludeButton(page, 'a.png').waitFor();
  await hold();
  try {
    await excludeButton(page, 'a.png').click();
    await sleep(300);
    await excludeButton(page, 'b.png').click();
    await sleep(2_500);
  } finally {
    await page.unroute(ITEMS);
  }
  return [await excludeButton(page, 'a.png').textContent(), await excludeButton(page, 'b.png').textContent()];
}

describe('Dataset page: stale answers', () => {
  it("two quick excludes: the first one's late answer does not show the second item included", async () => {
    const { characterId, datasetId } = await seedDataset(web.app, 'DsLateFirst');
    // a.png's exclude is done on the server at once; the page gets its answer (a excluded, b not) 1.5 s later
    const labels = await excludeBoth(characterId, () =>
      holdAnswer(web.page, ITEMS, 1_500, (route) => route.request().url().endsWith('/items/a')),
    );
    expect(await excludedOnServer(datasetId)).toEqual({ a: true, b: true });
    expect(labels).toEqual(['Re-include', 'Re-include']);
  }, 60_000);

  it('two quick excludes: the first one reaching the server last is not undone by the second one’s answer', async () => {
    const { characterId, datasetId } = await seedDataset(web.app, 'DsSlowFirst');
    // a.png's exclude reaches the server 1.5 s late: b's answer (b excluded, a not) is the newest write's
    const labels = await excludeBoth(characterId, () =>
      holdBack(web.page, ITEMS, 1_500, (route) => route.request().url().endsWith('/items/a')),
    );
    expect(await excludedOnServer(datasetId)).toEqual({ a: true, b: true });
    expect(labels).toEqual(['Re-include', 'Re-include']);
  }, 60_000);

  it('an exclude answered after another version was picked does not show the old version’s rows', async () => {
    const page = web.page;
    const { characterId, datasetId } = await seedDataset(web.app, 'DsSwitch');
    // a newer version with one crop, a.png, not excluded
    const { dataset: second } = await preppedVersion(web.app, characterId);
    await page.goto(`${web.url}/#/c/${characterId}/dataset`);
    // the newest version shows first: pick the first one (a.png and b.png), exclude its a.png, and pick the
    // newest again
    const version = page.locator('select').first();
    await excludeButton(page, 'a.png').waitFor();
    expect(await version.inputValue()).toBe(second.id);
    await version.selectOption(datasetId);
    await excludeButton(page, 'b.png').waitFor();
    await holdAnswer(page, ITEMS, 1_500, () => true);
    try {
      await excludeButton(page, 'a.png').click();
      await sleep(200);
      await version.selectOption(second.id);
      await sleep(2_500);
    } finally {
      await page.unroute(ITEMS);
    }
    expect(await version.inputValue()).toBe(second.id);
    expect(await excludeButton(page, 'b.png').count()).toBe(0);
    expect(await excludeButton(page, 'a.png').textContent()).toBe('Exclude');
    // the first version's count in the version list follows its exclude
    expect(await version.locator(`option[value="${datasetId}"]`).textContent()).toContain('1/2 images');
  }, 60_000);
});

describe('Generate page: stale answers', () => {
  it("a finished job's late re-read does not replace the job Generate started since", async () => {
    const page = web.page;
    const character = web.app.catalog.createCharacter({
      name: 'GenRace',
      trigger: 'gen_tl',
      classWord: 'girl',
    });
    const first = web.app.jobStore.createJob('generate', character.id, {
      generation: { prompt: 'gen_tl, girl' },
    });
    web.app.jobStore.transition(first.id, 'running');
    web.app.jobStore.transition(first.id, 'succeeded', { result: {} });
    const rel = `jobs/${first.id}/images/seed-1.png`;
    mkdirSync(join(web.app.dataDir, 'jobs', first.id, 'images'), { recursive: true });
    writeFileSync(join(web.app.dataDir, rel), await solidPng(16, 16));
    web.app.catalog.addArtifact({
      characterId: character.id,
      jobId: first.id,
      kind: 'image',
      name: 'seed 1',
      path: rel,
      meta: { seed: 1, weight: 1 },
    });
    // the page's re-read of the finished job it reopens, and of its images, come 2.5 s late: after the next
    // Generate started
    await holdAnswer(page, ARTIFACTS, 2_500, (route) => route.request().url().includes(`jobId=${first.id}`));
    let held = 0;
    await holdAnswer(page, `**/api/jobs/${first.id}`, 2_500, (route) => {
      if (!isGet(route)) return false;
      held += 1;
      return true;
    });
    const results = page.locator('.panel', { has: page.locator('h3', { hasText: 'Results' }) });
    const resultsText = async () => (await results.textContent()) ?? '';
    try {
      await page.goto(`${web.url}/#/c/${character.id}/generate`);
      const generate = page.locator('button[type=submit]', { hasText: /Generate/ });
      await expect.poll(() => held, { timeout: 10_000 }).toBeGreaterThan(0);
      await expect.poll(() => generate.isEnabled(), { timeout: 10_000 }).toBe(true);
      await generate.click();
      await expect.poll(resultsText, { timeout: 5_000 }).toMatch(/queued|running/);
      await sleep(3_500);
    } finally {
      await page.unroute(`**/api/jobs/${first.id}`);
      await page.unroute(ARTIFACTS);
    }
    const jobs = (await web.app.inject({ url: `/api/jobs?characterId=${character.id}` })).json().jobs;
    expect(jobs.map((job: { status: string }) => job.status).sort()).toEqual(['running', 'succeeded']);
    expect(await resultsText()).toMatch(/queued|running/);
    expect(await results.getByRole('button', { name: /Cancel/ }).count()).toBe(1);
    // the finished job's image is among the earlier generations, not the running job's results
    expect(await results.locator('[data-testid=results]').count()).toBe(0);
  }, 60_000);
});

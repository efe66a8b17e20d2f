// test/web-flow.test.ts — the web app in Debian's chromium against a real server on loopback with the
// real prep, trainer and generation worker: create a character, upload the bundled example screens,
// build and review the dataset (edit a caption, exclude a crop), train a few steps of the `tiny` base
// while the loss chart updates, open the LoRA, generate. A screenshot of each page goes to test-artifacts/.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServeServices } from '../src/server/serve-services.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

const ROOT = join(import.meta.dirname, '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'web');
const EXAMPLES = join(ROOT, 'examples', 'screens');

let web: WebSession;
let app: FastifyInstance;
let url: string;
let page: Page;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  web = await startWebSession('web', createServeServices());
  ({ app, url, page } = web);
}, 180_000);

afterAll(() => web?.close());

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe('web app', () => {
  it('creates a character, uploads screenshots, builds and reviews the dataset', async () => {
    await page.goto(url);
    await expect(page.getByRole('heading', { name: 'Characters' }).isVisible()).resolves.toBe(true);
    await page.fill('input[name=name]', 'Mina');
    await page.fill('input[name=trigger]', 'mina_tl');
    await shot('01-characters');
    await page.click('button:has-text("Create")');
    await page.waitForURL(/#\/c\/[^/]+\/upload/);

    const files = readdirSync(EXAMPLES)
      .filter((name) => /\.(png|jpe?g)$/.test(name))
      .slice(0, 3);
    await page.setInputFiles(
      '[data-testid=upload-input]',
      files.map((name) => join(EXAMPLES, name)),
    );
    await page.waitForFunction(
      (n) => document.querySelectorAll('[data-testid=uploads] img').length === n,
      files.length,
    );
    // the stage choices default to the schema's (auto) and go into the prep job's options
    await expect(page.inputValue('select[name=inpainter]')).resolves.toBe('auto');
    await page.selectOption('select[name=inpainter]', 'opencv');
    await page.click('button:has-text("Build dataset")');
    await page.waitForSelector('a:has-text("Review the dataset")', { timeout: 120_000 });
    await shot('02-upload');
    const [prepJob] = app.queue.listJobs({ kind: 'prep' });
    expect(prepJob?.params).toMatchObject({
      options: { inpainter: 'opencv', characters: 'largest', segmenter: 'auto', captioner: 'auto' },
    });

    await page.click('a:has-text("Review the dataset")');
    await page.waitForSelector('[data-testid=dataset-item]');
    const first = page.locator('[data-testid=caption]').first();
    await first.fill('mina_tl, girl, red scarf');
    await page.locator('button:has-text("Save caption")').first().click();
    await page.locator('button:has-text("Exclude")').last().click();
    await page.waitForSelector('.item.excluded');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('.stages img')].every((img) => (img as HTMLImageElement).complete),
    );
    await shot('03-dataset');
    const characterId = page.url().split('/c/')[1]?.split('/')[0] as string;
    const [dataset] = app.catalog.listDatasets(characterId);
    const items = app.catalog.listDatasetItems(dataset?.id as string);
    expect(items[0]?.caption).toBe('mina_tl, girl, red scarf');
    expect(items.at(-1)?.excluded).toBe(true);
  }, 240_000);

  it('trains a few steps with a live loss chart, shows the LoRA and generates with it', async () => {
    await page.click('nav a:has-text("Train")');
    await page.waitForSelector('input[name=baseModel]');
    await page.fill('input[name=baseModel]', 'tiny');
    await page.fill('input[name=steps]', '4');
    await page.fill('input[name=resolution]', '64');
    await page.fill('input[name=rank]', '4');
    await page.click('button:has-text("Start training")');
    // The chart grows while the job runs: at least one point before the run ends, all four after.
    await page.waitForFunction(
      () => Number(document.querySelector('svg.loss-chart')?.getAttribute('data-points')) >= 1,
      undefined,
      { timeout: 180_000 },
    );
    await page.waitForSelector('[data-testid=job-status]:has-text("succeeded")', { timeout: 180_000 });
    expect(await page.locator('svg.loss-chart').getAttribute('data-points')).toBe('4');
    await shot('04-train-real');

    await page.click('a:has-text("Open the LoRA")');
    await page.waitForSelector('table.meta:has-text("kohya")');
    expect(await page.textContent('[data-testid=snippet]')).toMatch(
      /^<lora:mina_[0-9a-f]{8}:0\.8>, mina_tl$/,
    );
    await shot('05-lora-real');

    await page.click('nav a:has-text("Generate")');
    await page.waitForSelector('textarea[name=prompt]');
    await page.fill('input[name=steps]', '2');
    await page.click('button[type=submit]:has-text("Generate")');
    await page
      .waitForSelector('[data-testid=job-status]:text-matches("succeeded|failed|cancelled")', {
        timeout: 120_000,
      })
      .catch(async (error) => {
        await shot('06-generate-real-failed');
        console.log(JSON.stringify(app.jobStore.listJobs({})));
        throw error;
      });
    await shot('06-generate-real');
    const [job] = (await app.jobStore.listJobs({ kind: 'generate' })) ?? [];
    expect(job?.status, JSON.stringify(job?.error)).toBe('succeeded');
    await page.waitForSelector('[data-testid=timing]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=results] img').length === 2);
    expect(await page.textContent('[data-testid=timing]')).toContain('base loaded in');
    await shot('06-generate-real');
  }, 420_000);
});

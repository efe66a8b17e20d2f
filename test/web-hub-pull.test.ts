// test/web-hub-pull.test.ts — the Models page in chromium pulling a Hub repo typed as owner/name (a fake Hub,
// fake-sd15-hub.ts): a text that is no repo id is refused in the page; the repo's row appears with its progress
// bar, Cancel keeps the partial file and leaves a Resume button, which pulls it to the end; the Train page then
// offers it as a base; an SDXL repo typed there ends with the CLI's refusal. And #/zzz is the not-found view.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeSd15Hub,
  HELD_FILE,
  SD15_REPO,
  SDXL_REPO,
  startFakeSd15Hub,
} from './helpers/fake-sd15-hub.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { closeHubWebSession, startHubWebSession, type WebSession } from './helpers/web-session.js';

let hub: FakeSd15Hub;
let web: WebSession;
let page: Page;

beforeAll(async () => {
  hub = await startFakeSd15Hub();
  ({ web } = await startHubWebSession('web-hub-pull', hub));
  page = web.page;
}, 180_000);

afterAll(() => closeHubWebSession(web, hub));

const card = (id: string) => page.locator(`[data-testid=model-row][data-model="${id}"]`);

async function typeAndPull(repo: string): Promise<void> {
  await page.fill('[data-testid=hub-repo]', repo);
  await page.click('[data-testid=hub-pull]');
}

describe('the Models page pulls a Hub repo typed as owner/name', () => {
  it('pulls it with a progress bar, cancels, resumes from the Resume button, and Train offers it', async () => {
    await page.goto(`${web.url}/#/models`);
    await page.waitForSelector('[data-testid=model-row]');
    await typeAndPull('toon-sd15');
    await expect(page.locator('[data-testid=hub-repo-problem]').textContent()).resolves.toContain(
      '"toon-sd15" is not a Hub repo id: write it as owner/name',
    );

    hub.hold = true;
    await typeAndPull(` https://huggingface.co/${SD15_REPO} `);
    const row = card(SD15_REPO);
    await hub.halfSent();
    await row.locator(`[data-testid=pull-file]:has-text("${HELD_FILE}: 32.8 kB of 65.5 kB")`).waitFor();
    expect(await row.locator('progress').getAttribute('value')).toBe('0.5');
    // the typed text stays while the pull runs (cleared only once it succeeds; before, at once)
    await expect(page.inputValue('[data-testid=hub-repo]')).resolves.toBe(
      ` https://huggingface.co/${SD15_REPO} `,
    );

    await row.locator('[data-testid=cancel-pull]').click();
    await row.locator('[data-testid=pull-end]:has-text("is kept and the next pull resumes it")').waitFor();
    await row.locator('[data-testid=model-state]:has-text("partial")').waitFor();

    hub.hold = false;
    hub.release();
    await row.locator('[data-testid=pull-model]:has-text("Resume pull")').click();
    await row.locator('[data-testid=model-state]:has-text("complete")').waitFor();
    await expect(row.locator('[data-testid=pull-end]').textContent()).resolves.toMatch(/^Pulled: \d+ files/);
    await expect(row.locator('[data-testid=pull-model]').count()).resolves.toBe(0);
    expect(hub.requests).toContain(`${SD15_REPO}:${HELD_FILE} bytes=${32 * 1024}-`);
    await page.screenshot({
      path: join(import.meta.dirname, '..', 'test-artifacts', 'web', 'models-hub-pull.png'),
      fullPage: true,
    });

    const { characterId } = await seedDataset(web.app);
    await page.goto(`${web.url}/#/c/${characterId}/train`);
    await page.waitForFunction(
      (repo) =>
        [...document.querySelectorAll('#base-models option')].some(
          (o) => (o as HTMLOptionElement).value === repo,
        ),
      SD15_REPO,
    );
  }, 90_000);

  it('shows the refusal of an SDXL repo in the words of `toonlora models pull`', async () => {
    await page.goto(`${web.url}/#/models`);
    await page.waitForSelector('[data-testid=model-row]');
    // a revision goes to the server (this Hub has main only: a 404 naming it); the typed text stays to fix
    await page.fill('[data-testid=hub-revision]', 'v9.9');
    await typeAndPull(SDXL_REPO);
    const outcome = page.locator('[data-testid=hub-pull-outcome]');
    // in the web app's words: the revision of the repo, no listing URL, HF_ENDPOINT hint or error code
    await outcome
      .locator(`text=revision v9.9 of ${SDXL_REPO} is not on the Hub. Nothing was downloaded.`)
      .waitFor();
    await expect(page.inputValue('[data-testid=hub-repo]')).resolves.toBe(SDXL_REPO);
    await expect(page.inputValue('[data-testid=hub-revision]')).resolves.toBe('v9.9');
    await page.fill('[data-testid=hub-revision]', '');
    await page.click('[data-testid=hub-pull]');
    const end = card(SDXL_REPO).locator('[data-testid=pull-end]');
    await end.locator('text=/StableDiffusionXLPipeline/').waitFor();
    await expect(end.textContent()).resolves.toMatch(
      /names a StableDiffusionXLPipeline, not a StableDiffusionPipeline \(SD1\.5\).*[^\]]$/,
    );
    await expect(page.inputValue('[data-testid=hub-repo]')).resolves.toBe(SDXL_REPO); // refused: kept (was cleared)
  }, 60_000);

  it('shows the not-found panel for a top-level page the app does not have (was the characters list)', async () => {
    await page.goto(`${web.url}/#/zzz`);
    const panel = page.locator('[data-testid=not-found]');
    await panel.waitFor();
    await expect(panel.textContent()).resolves.toContain('This app has no page #/zzz');
    await expect(page.locator('h1').allTextContents()).resolves.toEqual(['No such page']);
  }, 30_000);
});

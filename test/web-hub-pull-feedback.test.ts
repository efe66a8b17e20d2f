// test/web-hub-pull-feedback.test.ts — the Models page in chromium, a Hub pull typed into the form (a fake Hub,
// fake-sd15-hub.ts): its outcome shows beside the form, in a live region, within the first screen (a 404 showed
// ~2800 px down, on a card at the end of the list, with no scroll); a refused or failed repo's card says what
// happened, with Retry and Dismiss, and never reads as an SD1.5 base (it did: "SD1.5 base … for --base", Pull).
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type FakeSd15Hub,
  SD15_REPO,
  SD15_TAG,
  SDXL_REPO,
  startFakeSd15Hub,
} from './helpers/fake-sd15-hub.js';
import {
  closeHubWebSession,
  startHubWebSession,
  WEB_ARTIFACTS,
  type WebSession,
} from './helpers/web-session.js';

let hub: FakeSd15Hub;
let web: WebSession;
let page: Page;

beforeAll(async () => {
  hub = await startFakeSd15Hub();
  ({ web } = await startHubWebSession('web-hub-pull-feedback', hub));
  page = web.page;
}, 180_000);

afterAll(() => closeHubWebSession(web, hub));

const card = (id: string) => page.locator(`[data-testid=model-row][data-model="${id}"]`);
const outcome = () => page.locator('[data-testid=hub-pull-outcome]');

async function typeAndPull(repo: string): Promise<void> {
  await page.fill('[data-testid=hub-repo]', repo);
  await page.click('[data-testid=hub-pull]');
}

describe('a Hub pull typed into the Models page says how it went beside the form', () => {
  it('shows a 404 in a live region on the first screen; the card offers Retry and Dismiss', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${web.url}/#/models`);
    await page.waitForSelector('[data-testid=model-row]');
    await typeAndPull('someone/missing-repo');
    await page.waitForSelector('[data-testid=hub-pull-outcome] p.field-warning');
    await expect(outcome().getAttribute('role')).resolves.toBe('status');
    await expect(outcome().getAttribute('aria-live')).resolves.toBe('polite');
    const text = (await outcome().textContent()) ?? '';
    expect(text).toContain('someone/missing-repo');
    expect(text).not.toContain('Pulling');
    const box = await outcome().boundingBox();
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect((box?.y ?? Number.POSITIVE_INFINITY) + (box?.height ?? 0)).toBeLessThan(900);
    await page.screenshot({ path: join(WEB_ARTIFACTS, 'models-hub-pull-404.png') });

    const row = card('someone/missing-repo');
    await expect(row.locator('[data-testid=model-description]').textContent()).resolves.not.toContain(
      'SD1.5 base',
    );
    await expect(row.textContent()).resolves.not.toContain('On the server: missing');
    await expect(row.locator('[data-testid=pull-model]').textContent()).resolves.toBe('Retry');
    await outcome().getByRole('button', { name: 'Show its card' }).click();
    await page.waitForFunction(
      () => (document.activeElement as HTMLElement | null)?.dataset.model === 'someone/missing-repo',
    );
    await row.getByRole('button', { name: 'Dismiss someone/missing-repo' }).click();
    await row.waitFor({ state: 'detached' });
  }, 90_000);

  it("shows an SDXL repo's refusal beside the form, and its row is no SD1.5 base in the API either", async () => {
    await page.goto(`${web.url}/#/models`);
    await page.waitForSelector('[data-testid=model-row]');
    await typeAndPull(SDXL_REPO);
    await page.waitForSelector('[data-testid=hub-pull-outcome] p.field-warning');
    await expect(outcome().textContent()).resolves.toMatch(
      /names a StableDiffusionXLPipeline, not a StableDiffusionPipeline/,
    );
    // its Retry names it (a screen reader's button list read two bare "Retry")
    await card(SDXL_REPO)
      .getByRole('button', { name: `Retry ${SDXL_REPO}` })
      .waitFor();
    const models = await page.evaluate(async () => (await fetch('/api/models')).json());
    const row = (models.models as Array<{ id: string; description: string; pullAttempt?: boolean }>).find(
      (m) => m.id === 'someone/toon-sdxl',
    );
    expect(row?.pullAttempt).toBe(true);
    expect(row?.description).not.toMatch(/SD1\.5 base/);
    expect(row?.description).toContain('refused or failed');
  }, 60_000);

  it('fits a 375 px phone, names every Pull / Retry button with its model, and takes a pasted /tree/v1.0', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    try {
      await page.goto(`${web.url}/#/models`);
      await page.waitForSelector('[data-testid=model-row]');
      // the Hub repo field (size=44) reached x=385: the page scrolled sideways
      await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(
        375,
      );
      for (const field of ['hub-repo', 'hub-revision']) {
        const box = await page.locator(`[data-testid=${field}]`).boundingBox();
        expect((box?.x ?? 0) + (box?.width ?? Number.POSITIVE_INFINITY), field).toBeLessThanOrEqual(375);
      }
      // a screen reader's button list read seven "Pull" and two "Retry", naming no model
      for (const bare of ['Pull', 'Retry', 'Resume pull', 'Cancel'])
        await expect(page.getByRole('button', { name: bare, exact: true }).count()).resolves.toBe(0);
      await expect(page.getByRole('button', { name: /^Pull [\w-]+$/ }).count()).resolves.toBeGreaterThan(0);

      // a pasted address at a tag fills the Revision field; the repo pulled only there is the base owner/name@v1.0
      await page.fill('[data-testid=hub-repo]', `https://huggingface.co/${SD15_REPO}/tree/${SD15_TAG}`);
      await expect(page.inputValue('[data-testid=hub-revision]')).resolves.toBe(SD15_TAG);
      await page.click('[data-testid=hub-pull]');
      const row = card(SD15_REPO);
      // main is not pulled: the card is "at v1.0 only", its base the tag
      await row.locator(`[data-testid=model-state]:has-text("at ${SD15_TAG} only")`).waitFor();
      await expect(row.locator('[data-testid=hub-model]').textContent()).resolves.toContain(
        `as base ${SD15_REPO}@${SD15_TAG}.`,
      );
      await expect(row.locator('[data-testid=pull-end]').textContent()).resolves.toMatch(
        /^Pulled: \d+ files downloaded; [\d.]+ kB in all\.$/,
      );
      expect(hub.requests).toContain(`/api/models/${SD15_REPO}/revision/${SD15_TAG}?blobs=true`);
      await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(
        375,
      );
      await page.screenshot({ path: join(WEB_ARTIFACTS, 'models-phone-375.png'), fullPage: true });
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  }, 120_000);
});

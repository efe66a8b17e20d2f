// test/web-probe5-fixes.test.ts — findings of a browser probe, in chromium: on a slow network the Dataset page
// says "Loading…" (it was blank) and an Exclude click shows it is on its way (nothing showed while its PATCH
// waited); a row re-included under "Show: Excluded" stays, in its new state, until the filter changes (it vanished
// at once); Generate refuses a blank prompt on the Prompt field and the error goes once the prompt is typed
// (a field error stayed until the next submit); the Train page's Dataset select shows a version's whole label at
// 1280 px (it was cut at half the form's width); a prompt typed while Generate still loads its lists is kept (the
// reopened job's settings replaced it, which made the blank-prompt test fail on a loaded CI machine).
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datasetRow, excludeButton } from './helpers/dataset-rows.js';
import { gate } from './helpers/job-stand-ins.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-probe5'));
}, 180_000);

afterAll(() => web?.close());

/** Holds the requests of `pattern` (method `method`) until `open()`; later ones pass (the route stays). */
async function holdRequests(page: Page, pattern: string | RegExp, method: string) {
  const held = gate();
  const handler = async (route: Route) => {
    if (route.request().method() === method) await held.promise;
    await route.continue();
  };
  await page.route(pattern, handler);
  return { open: () => held.open() };
}

describe('web probe findings', () => {
  it('Dataset: "Loading…" while the list loads; an Exclude on its way says so', async () => {
    const page = web.page;
    const list = await holdRequests(page, '**/api/characters/*/datasets*', 'GET');
    await page.goto(`${web.url}/#/c/${characterId}/dataset`);
    try {
      await page.locator('[data-testid=dataset-loading]').waitFor({ timeout: 20_000 });
      await expect(page.getByRole('status').filter({ hasText: 'Loading…' }).count()).resolves.toBe(1);
    } finally {
      list.open(); // the next test's page loads either way
    }
    await page.waitForSelector('[data-testid=dataset-item]');
    await expect(page.locator('[data-testid=dataset-loading]').count()).resolves.toBe(0);

    const patch = await holdRequests(page, '**/api/datasets/*/items/*', 'PATCH');
    await excludeButton(page, 'a.png').click();
    try {
      await expect.poll(() => excludeButton(page, 'a.png').textContent()).toBe('Excluding…');
      await expect(excludeButton(page, 'a.png').isDisabled()).resolves.toBe(true);
    } finally {
      patch.open();
    }
    await expect
      .poll(() => excludeButton(page, 'a.png').textContent(), { timeout: 10_000 })
      .toBe('Re-include');
    await expect(excludeButton(page, 'a.png').isDisabled()).resolves.toBe(false);
  }, 90_000);

  it('Dataset: a row re-included under "Show: Excluded" stays until the filter changes', async () => {
    const page = web.page;
    await page.goto(`${web.url}/#/c/${characterId}/dataset`);
    await page.waitForSelector('[data-testid=dataset-item]');
    if ((await excludeButton(page, 'a.png').textContent()) === 'Exclude') {
      await excludeButton(page, 'a.png').click();
      await expect.poll(() => excludeButton(page, 'a.png').textContent()).toBe('Re-include');
    }
    await page.selectOption('[data-testid=item-filter]', 'excluded');
    await excludeButton(page, 'a.png').click();
    await expect.poll(() => excludeButton(page, 'a.png').textContent(), { timeout: 10_000 }).toBe('Exclude');
    await expect(datasetRow(page, 'a.png').isVisible()).resolves.toBe(true);
    await page.selectOption('[data-testid=item-filter]', 'all');
    await page.selectOption('[data-testid=item-filter]', 'excluded');
    await expect.poll(() => datasetRow(page, 'a.png').isVisible()).toBe(false);
  }, 90_000);

  it("Train at 1280 px: the Dataset select shows its version's whole label", async () => {
    const page = web.page;
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${web.url}/#/c/${characterId}/train`);
    const select = page.locator('[data-testid=train-dataset]');
    await select.locator('option').first().waitFor({ state: 'attached' });
    // the selected option's text at the select's font, against the room left of its arrow (about 24 px)
    const fit = await select.evaluate((element: HTMLSelectElement) => {
      const context = document.createElement('canvas').getContext('2d');
      if (!context) throw new Error('no 2d canvas');
      const style = getComputedStyle(element);
      context.font = `${style.fontSize} ${style.fontFamily}`;
      const text = element.selectedOptions[0]?.textContent ?? '';
      return { text, needed: context.measureText(text).width + 24, room: element.clientWidth };
    });
    expect(fit.text).toMatch(/^v1 · .* images/);
    expect(fit.needed).toBeLessThanOrEqual(fit.room);
  }, 90_000);

  it('Generate: a blank prompt is refused on its field; typing a prompt clears the error', async () => {
    const page = web.page;
    await page.goto(`${web.url}/#/c/${characterId}/generate`);
    const prompt = page.locator('textarea[name=prompt]');
    await prompt.waitFor();
    await prompt.fill('   ');
    await page.getByRole('button', { name: 'Generate', exact: true }).click();
    await page.waitForSelector('[data-testid=form-error]:has-text("Prompt: empty")');
    await expect(prompt.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(web.app.queue.listJobs({ kind: 'generate', characterId })).toHaveLength(0);
    await prompt.fill('mina_tl, 1girl');
    await expect.poll(() => page.locator('[data-testid=form-error]').count()).toBe(0);
    await expect(prompt.getAttribute('aria-invalid')).resolves.toBe(null);
  }, 90_000);

  it('Generate: a prompt typed while the page still loads its LoRAs and jobs is kept when they arrive', async () => {
    const page = web.page;
    // the page's list of the character's generate jobs is held back, as on a slow server (CI under load)
    const jobs = await holdRequests(page, /\/api\/jobs\?/, 'GET');
    await page.goto(`${web.url}/#/c/${characterId}/generate`);
    await page.reload(); // the page may be there already (the test before): a fresh load
    const prompt = page.locator('textarea[name=prompt]');
    await prompt.waitFor();
    await prompt.fill('typed before the list came, 1girl');
    const listed = page.waitForResponse(
      (response) => response.url().includes('/api/jobs?') && response.request().method() === 'GET',
    );
    jobs.open();
    await listed;
    await page.waitForTimeout(300);
    // before, the reopened form replaced it with the pre-filled trigger
    await expect(prompt.inputValue()).resolves.toBe('typed before the list came, 1girl');
    await page.unroute(/\/api\/jobs\?/);
  }, 90_000);
});

// test/web-focus.test.ts — keyboard focus around the web app's actions, in chromium against one server with a
// token and stand-in prep, train and generate runners (they run until cancelled): the token field has the focus
// when the prompt shows, also after a wrong token; Tab from an edited caption reaches its Save, and Enter on
// Save, Exclude, "Exclude selected", Start training or Generate leaves the focus on the button (a `disabled`
// button dropped it to <body>, the next Tab starting at the header); Remove of a screenshot, Cancel of a build,
// a training or a generation, Delete of a character and Create character move it somewhere sensible. Also:
// under "Show: Excluded" a row's own Re-include and a bulk one both keep their rows, and the status line counts
// them; Remove clears the last upload's "Uploaded 2 screenshots.".
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { createDefaultRunners } from '../src/jobs/runners/default-runners.js';
import { datasetRow, excludeButton } from './helpers/dataset-rows.js';
import { fakeTrain, gate } from './helpers/job-stand-ins.js';
import { solidPng, untilStopped } from './helpers/server-fixtures.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

const TOKEN = 'web-focus-s3cret-token';

/** A prep or generate job that runs until cancelled. */
async function untilCancelled(context: JobContext) {
  await untilStopped(context.signal);
  return {};
}

let web: WebSession;
let page: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-focus', {
    token: TOKEN,
    runners: (deps) => ({
      ...createDefaultRunners(deps),
      prep: untilCancelled,
      generate: untilCancelled,
      train: fakeTrain({ hold: gate().promise }), // runs until cancelled
    }),
  }));
  page = web.page;
  page.on('dialog', (dialog) => void dialog.accept()); // a rebuild's and a delete's confirmation
}, 180_000);

afterAll(() => web?.close());

/** The focused element: its aria-label, else its data-testid, else its tag (`BODY` when focus was lost). */
const focused = () =>
  page.evaluate(() => {
    const element = document.activeElement;
    return (
      element?.getAttribute('aria-label') ??
      element?.getAttribute('data-testid') ??
      element?.getAttribute('name') ??
      element?.tagName ??
      'none'
    );
  });

/** A PNG of its own colour per name (the same bytes twice would be one screenshot). */
const png = async (name: string, blue: number) => ({
  name,
  mimeType: 'image/png',
  buffer: await solidPng(64, 64, [60, 140, blue]),
});

const openDataset = async () => {
  await page.goto(`${web.url}/#/c/${characterId}/dataset`);
  await datasetRow(page, 'a.png').waitFor();
};

describe('web app: keyboard focus around actions', () => {
  it('the token field has the focus when the prompt shows, and again after a wrong token', async () => {
    await page.goto(`${web.url}/#/`);
    await page.waitForSelector('[data-testid=token-prompt]');
    await expect.poll(focused).toBe('token');
    await page.keyboard.type('not-the-token');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=token-prompt]:has-text("That token is not right")');
    await expect.poll(focused).toBe('token');
    await page.keyboard.type(TOKEN);
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=character-card]');
  }, 60_000);

  it('Tab from an edited caption reaches its Save; Enter on Save and on Exclude keeps the focus there', async () => {
    await openDataset();
    const caption = datasetRow(page, 'a.png').getByTestId('caption');
    await caption.fill('mina_tl, girl, edited from the keyboard');
    await page.keyboard.press('Tab');
    await expect.poll(focused).toBe('Save caption for a.png');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => web.app.catalog.getDatasetItem(datasetIdOf(), 'a').caption)
      .toBe('mina_tl, girl, edited from the keyboard');
    await expect.poll(focused).toBe('Save caption for a.png');
    await page.keyboard.press('Tab');
    await expect.poll(focused).toBe('Exclude a.png');

    // leaving the caption and its Save without pressing it saves, as leaving the caption did
    await caption.fill('mina_tl, girl, saved on the way out');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await expect.poll(focused).toBe('Exclude a.png');
    await expect
      .poll(() => web.app.catalog.getDatasetItem(datasetIdOf(), 'a').caption)
      .toBe('mina_tl, girl, saved on the way out');

    await page.keyboard.press('Enter');
    await expect.poll(() => excludeButton(page, 'a.png').textContent()).toBe('Re-include');
    await expect.poll(focused).toBe('Re-include a.png');
    await page.keyboard.press('Enter');
    await expect.poll(() => excludeButton(page, 'a.png').textContent()).toBe('Exclude');
    await expect.poll(focused).toBe('Exclude a.png');
  }, 90_000);

  it('Enter on "Exclude selected" keeps the focus on it', async () => {
    await openDataset();
    await datasetRow(page, 'a.png').getByTestId('pick-item').focus();
    await page.keyboard.press('Space');
    await datasetRow(page, 'b.png').getByTestId('pick-item').focus();
    await page.keyboard.press('Space');
    await page.getByTestId('bulk-exclude').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=bulk-notice]:has-text("Excluded 2 images")');
    await expect.poll(focused).toBe('bulk-exclude');
  }, 60_000);

  it('under "Show: Excluded", a row\'s Re-include and a bulk one both keep their rows; the counts add up', async () => {
    await openDataset(); // a.png and b.png are excluded (the test before)
    await page.selectOption('[data-testid=item-filter]', 'excluded');
    const status = page.getByTestId('item-filter-count');
    const allShown = page.locator('[data-testid=bulk-bar] label').first();
    await expect.poll(() => status.textContent()).toBe('2 of 2 shown');
    await excludeButton(page, 'a.png').click();
    await expect.poll(() => excludeButton(page, 'a.png').textContent()).toBe('Exclude');
    await expect(datasetRow(page, 'a.png').isVisible()).resolves.toBe(true);
    await expect
      .poll(() => status.textContent())
      .toBe('1 of 2 shown, and 1 changed here (until "Show" changes)');
    await expect(allShown.textContent()).resolves.toBe(' Select all shown (2)');

    await datasetRow(page, 'b.png').getByTestId('pick-item').check();
    await page.getByTestId('bulk-include').click();
    await page.waitForSelector('[data-testid=bulk-notice]:has-text("Re-included 1 image")');
    await expect(datasetRow(page, 'b.png').isVisible()).resolves.toBe(true);
    await expect
      .poll(() => status.textContent())
      .toBe('0 of 2 shown, and 2 changed here (until "Show" changes)');
    await expect(allShown.textContent()).resolves.toBe(' Select all shown (2)');
    await page.selectOption('[data-testid=item-filter]', 'all');
    await page.selectOption('[data-testid=item-filter]', 'excluded');
    await expect.poll(() => datasetRow(page, 'b.png').isVisible()).toBe(false);
  }, 60_000);

  it('Upload: Remove moves the focus to the next Remove and clears the upload summary; Cancel to Build', async () => {
    await page.goto(`${web.url}/#/c/${characterId}/upload`);
    await page.setInputFiles('[data-testid=upload-input]', [
      await png('one.png', 10),
      await png('two.png', 200),
    ]);
    await page.waitForSelector('[data-testid=upload-summary]:has-text("Uploaded 2 screenshots.")');
    await page.getByRole('button', { name: 'Remove one.png' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-testid=uploads] figure').count()).toBe(1);
    await expect.poll(focused).toBe('Remove two.png');
    await expect(page.textContent('[data-testid=upload-summary]')).resolves.toBe('');

    const build = page.getByRole('button', { name: /^Build dataset/ });
    await build.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=job-status]:has-text("running")');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toMatch(/^Build dataset/);
    await page.getByTestId('cancel-job').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toMatch(/^Build dataset/);
  }, 90_000);

  it('Train: Enter on Start training keeps the focus on it; Cancel moves it to the button that replaced it', async () => {
    await page.goto(`${web.url}/#/c/${characterId}/train`);
    const start = page.getByRole('button', { name: 'Start training' });
    await start.waitFor();
    await start.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=job-status]:has-text("running")');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Start training');
    await page.getByTestId('cancel-job').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")');
    await expect
      .poll(() => page.evaluate(() => document.activeElement?.textContent))
      .toBe('Resume from checkpoint');
  }, 60_000);

  it('Generate: Enter on Generate keeps the focus on it; Cancel moves it back to Generate', async () => {
    await page.goto(`${web.url}/#/c/${characterId}/generate`);
    await page.locator('textarea[name=prompt]').fill('mina_tl, 1girl');
    const generate = page.getByRole('button', { name: 'Generate', exact: true });
    await generate.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=job-status]:has-text("running")');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Generate');
    await page.getByTestId('cancel-job').focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Generate');
  }, 60_000);

  it("Create character focuses the new Upload page's heading; Delete focuses the next Delete", async () => {
    await page.goto(`${web.url}/#/`);
    await page.waitForSelector('[data-testid=character-card]');
    await page.fill('input[name=name]', 'Zed');
    await page.fill('input[name=trigger]', 'zed_tl');
    await page.getByRole('button', { name: 'Create', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1.page-title:has-text("Zed")');
    await expect.poll(() => page.evaluate(() => document.activeElement?.className)).toBe('page-title');

    await page.goto(`${web.url}/#/`);
    await page.getByRole('button', { name: 'Delete Zed' }).focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('[data-testid=character-card]').count()).toBe(1);
    await expect.poll(focused).toBe('Delete Mina');
  }, 60_000);
});

/** The seeded character's dataset id (its only version). */
function datasetIdOf(): string {
  const [dataset] = web.app.catalog.listDatasets(characterId);
  if (!dataset) throw new Error('no dataset seeded');
  return dataset.id;
}

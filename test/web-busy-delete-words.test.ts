// test/web-busy-delete-words.test.ts — a delete the server refused because jobs that are not done use the thing, in
// chromium against a real server on loopback: the Characters page (a job started while its question was open) and
// the Screenshots page (the running dataset build reads the screenshot) say where a web user cancels, not the API's
// "Cancel it (POST /api/jobs/<id>/cancel)" (before: the API's message, "the Cancel button by its status, or POST …").
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartBody, solidPng } from './helpers/server-fixtures.js';
import { createCharacter } from './helpers/test-apps.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let url: string;
let page: Page;

beforeAll(async () => {
  web = await startWebSession('web-busy-delete-words', { runners: {} });
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

const banner = () => page.locator('div.error[role=alert]');

describe('web app: a delete refused while a job uses the thing', () => {
  it('Characters: a job started while Delete asked says to cancel it on the Train page', async () => {
    const characterId = await createCharacter(web.app, {}, 'Ivy');
    await page.goto(`${url}/#/`);
    const card = page.locator('[data-testid=character-card]', { hasText: 'Ivy' });
    let jobId = '';
    page.once('dialog', (dialog) => {
      jobId = web.app.jobStore.createJob('train', characterId, {}).id; // "another tab" starts a training
      void dialog.accept();
    });
    await card.locator('[data-testid=delete-character]').click();
    await expect.poll(() => jobId).not.toBe(''); // the click can return before the question's handler ran
    await expect
      .poll(() => banner().textContent())
      .toBe(
        `The character Ivy was not deleted: a job of it is not done (training ${jobId}, queued). Cancel it on its ` +
          'Train page or let it finish, then delete the character.',
      );
    await expect(card.count()).resolves.toBe(1);
  }, 90_000);

  it('Screenshots: Remove of a screenshot the running build reads says to cancel the build on the page', async () => {
    const characterId = await createCharacter(web.app, {}, 'Joy');
    await web.app.inject({
      method: 'POST',
      url: `/api/characters/${characterId}/images`,
      ...multipartBody([{ filename: 'joy-01.png', data: await solidPng(65, 65) }]),
    });
    const prep = web.app.jobStore.createJob('prep', characterId, {});
    web.app.jobStore.transition(prep.id, 'running');
    await page.goto(`${url}/#/c/${characterId}/upload`);
    await page.getByRole('button', { name: 'Remove joy-01.png' }).click();
    await expect
      .poll(() => banner().textContent())
      .toBe(
        `The screenshot joy-01.png was not removed: the dataset build that is running (job ${prep.id}) reads it. ` +
          'Remove it once the build has ended, or stop the build with "Cancel the build" on this page.',
      );
    await expect(page.locator('[data-testid=uploads] figure').count()).resolves.toBe(1);
  }, 90_000);
});

// test/web-upload-skipped.test.ts — the Upload page after a build, in chromium: what the prep skipped, in words
// grouped by why, with a link to the Dataset page's skipped list (before: no list and no link; an empty version
// said "No character was found" whatever the reasons were).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-upload-skipped'));
}, 180_000);

afterAll(() => web?.close());

describe('the Upload page after a build', () => {
  it('says what was skipped and links the Dataset page', async () => {
    const page = web.page;
    await page.goto(`${web.url}/#/c/${characterId}/upload`);
    const skipped = page.locator('[data-testid=prep-skipped]');
    await skipped.waitFor({ timeout: 30_000 });
    // the seeded version: two crops, blank.png skipped with "no character found"
    await expect(skipped.locator('li').allTextContents()).resolves.toEqual([
      '1 screenshot skipped: no character was found (blank.png).',
    ]);
    await skipped.locator('[data-testid=skipped-link]').click();
    await page.waitForSelector('[data-testid=skipped]');
    expect(page.url()).toContain(`#/c/${characterId}/dataset`);
  }, 90_000);
});

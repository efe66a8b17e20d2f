// test/web-hub-tag-only.test.ts — the Models page in chromium with a Hub repo pulled only at a tag (the cache
// written by hand, no refs/main): its card says "at v1.0 only" with its base owner/name@v1.0 and a "Pull main"
// button, which pulls main from the fake Hub (fake-sd15-hub.ts). Before, the card said "missing" with a Pull
// button (GET /api/models lists it missing: its bare id is main), as if nothing of it were on the server.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSd15Snapshot } from '../src/models/sd15-testing.js';
import { type FakeSd15Hub, SD15_REPO, SD15_TAG, startFakeSd15Hub } from './helpers/fake-sd15-hub.js';
import { closeHubWebSession, startHubWebSession, type WebSession } from './helpers/web-session.js';

let hub: FakeSd15Hub;
let web: WebSession;
let page: Page;

beforeAll(async () => {
  hub = await startFakeSd15Hub();
  let homeDir: string;
  ({ web, homeDir } = await startHubWebSession('web-hub-tag-only', hub));
  page = web.page;
  const repoDir = join(homeDir, '.cache', 'huggingface', 'hub', 'models--someone--toon-sd15');
  const commit = 'b'.repeat(40);
  writeSd15Snapshot(join(repoDir, 'snapshots', commit));
  rmSync(join(repoDir, 'refs', 'main'));
  mkdirSync(join(repoDir, 'refs'), { recursive: true });
  writeFileSync(join(repoDir, 'refs', SD15_TAG), commit);
}, 180_000);

afterAll(() => closeHubWebSession(web, hub));

describe('the Models page, a Hub repo pulled only at a tag', () => {
  it('shows it "at v1.0 only" with its @v1.0 base and a "Pull main" button that pulls main', async () => {
    await page.goto(`${web.url}/#/models`);
    const row = page.locator(`[data-testid=model-row][data-model="${SD15_REPO}"]`);
    await expect(row.locator('[data-testid=model-state]').textContent()).resolves.toBe(`at ${SD15_TAG} only`);
    const hubText = await row.locator('[data-testid=hub-model]').textContent();
    expect(hubText).toContain(`as base ${SD15_REPO}@${SD15_TAG}.`);
    expect(hubText).toContain(`Its main (base ${SD15_REPO}) is not pulled`);
    const pullMain = page.getByRole('button', { name: `Pull main of ${SD15_REPO}` });
    await expect(pullMain.textContent()).resolves.toBe('Pull main');

    await pullMain.click();
    await row.locator('[data-testid=model-state]:text-is("complete")').waitFor({ timeout: 60_000 });
    await expect(row.locator('[data-testid=hub-revisions]').textContent()).resolves.toContain(
      `${SD15_REPO}@${SD15_TAG}`,
    );
    await expect(row.locator('[data-testid=pull-model]').count()).resolves.toBe(0);
  }, 120_000);
});

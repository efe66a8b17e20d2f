// test/web-generate-image-token.test.ts — the Generate page in two chromium tabs against a server with a token:
// after "Forget token" in one tab, the other tab's earlier generations (lazy, loaded when their fold is opened)
// are refused (401); the tab brings up the token prompt, not "did not load" placeholders (or broken images with
// their alt text, as before) until its next request. And the Upload page's placeholder for an upload whose file
// is gone (no token prompt: not the token's failure).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidPng } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

const TOKEN = 'generate-image-token-s3cret';
let web: WebSession;
let characterId: string;

beforeAll(async () => {
  web = await startWebSession('web-generate-image-token', { token: TOKEN });
  const { app } = web;
  const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  characterId = character.id;
  // an upload whose file is gone (the server answers with an error): the Upload page shows its placeholder
  app.catalog.addImages(character.id, [
    {
      id: 'gone',
      originalName: 'gone.png',
      storedPath: 'images/gone.png',
      format: 'png',
      width: 16,
      height: 16,
      bytes: 1,
      sha256: '0'.repeat(64),
    },
  ]);
  const png = await solidPng(16, 16);
  // two finished generate jobs with images: whichever the page reopens, the other's are its earlier generations
  for (const seed of [1, 2]) {
    const job = app.jobStore.createJob('generate', character.id, {});
    app.jobStore.transition(job.id, 'running');
    app.jobStore.transition(job.id, 'succeeded', { result: {} });
    const rel = `jobs/${job.id}/images/seed-${seed}.png`;
    mkdirSync(join(app.dataDir, 'jobs', job.id, 'images'), { recursive: true });
    writeFileSync(join(app.dataDir, rel), png);
    app.catalog.addArtifact({
      characterId: character.id,
      jobId: job.id,
      kind: 'image',
      name: `seed ${seed}`,
      path: rel,
      meta: { seed, weight: 1 },
    });
  }
}, 180_000);

afterAll(() => web?.close());

describe('Generate page images after "Forget token" in another tab', () => {
  it('bring up the token prompt', async () => {
    const tabA = web.page;
    await tabA.goto(`${web.url}/#/c/${characterId}/generate`);
    await tabA.fill('input[name=token]', TOKEN);
    await tabA.click('button:has-text("Use")');
    const tabB = await web.browser.newPage();
    await tabB.goto(`${web.url}/#/c/${characterId}/generate`);
    await tabB.waitForSelector('[data-testid=results] img');
    await tabB.waitForSelector('[data-testid=earlier-images]');

    await tabA.click('[data-testid=forget-token]');
    await tabA.waitForSelector('[data-testid=token-prompt]');
    await tabB.click('[data-testid=earlier-images] summary'); // its lazy thumbnails load now: refused
    await tabB.waitForSelector('[data-testid=token-prompt]', { timeout: 30_000 });
    await expect(tabB.locator('[data-testid=earlier-images]').count()).resolves.toBe(0);
  }, 120_000);

  it('an upload whose file is gone shows "did not load" on the Upload page, not its alt text', async () => {
    const page = await web.browser.newPage(); // the token was forgotten above
    await page.goto(`${web.url}/#/c/${characterId}/upload`);
    await page.fill('input[name=token]', TOKEN);
    await page.click('button:has-text("Use")');
    await page.waitForSelector('[data-testid=uploads] [data-testid=image-failed]');
    await expect(page.getByRole('img', { name: 'gone.png (did not load)' }).count()).resolves.toBe(1);
    await expect(page.locator('[data-testid=token-prompt]').count()).resolves.toBe(0); // not the token's failure
  }, 60_000);
});

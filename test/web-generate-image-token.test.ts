// test/web-generate-image-token.test.ts — the Generate page in two chromium tabs against a server with a token:
// after "Forget token" in one tab, the other tab's earlier generations (lazy, loaded when their fold is opened)
// are refused (401); the tab brings up the token prompt, not "did not load" placeholders (or broken images with
// their alt text, as before) until its next request.
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
});

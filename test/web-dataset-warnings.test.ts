// test/web-dataset-warnings.test.ts — the Dataset page in chromium: an item whose crop got a quality warning
// from prep shows it in words (not only a colour), tied to its caption field for screen readers, and the
// page's header counts the items with warnings, with a button that sets "Show" to them (it said "check it below").
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { solidPng } from './helpers/server-fixtures.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

const WARNING = 'quality warning: text removal erased 12 % of the character (40x40 at 0,0)';
let web: WebSession;
let page: Page;
let characterId: string;

beforeAll(async () => {
  web = await startWebSession('web-dataset-warnings');
  ({ page } = web);
  const { app } = web;
  const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
  characterId = character.id;
  const prep = app.jobStore.createJob('prep', character.id, {});
  app.jobStore.transition(prep.id, 'running');
  app.jobStore.transition(prep.id, 'succeeded', { result: {} });
  const stages = { original: null, textRemoved: null, mask: null, crop: null };
  mkdirSync(join(app.dataDir, 'jobs', prep.id, 'dataset'), { recursive: true });
  for (const key of ['a', 'b', 'c']) {
    writeFileSync(join(app.dataDir, 'jobs', prep.id, 'dataset', `${key}.png`), await solidPng(16, 16));
  }
  const item = (key: string, warnings: string[]) => ({
    key,
    source: `${key}.png`,
    imagePath: `jobs/${prep.id}/dataset/${key}.png`,
    caption: 'mina_tl, girl',
    stages,
    warnings,
  });
  app.catalog.createDataset({
    characterId: character.id,
    jobId: prep.id,
    dir: `jobs/${prep.id}/dataset`,
    items: [item('a', [WARNING]), item('b', []), item('c', [])],
    skipped: [],
  });
}, 180_000);

afterAll(() => web?.close());

describe('Dataset page quality warnings', () => {
  it('shows the warning on its item, tied to its caption, and counts the warned items in the header', async () => {
    await page.goto(`${web.url}/#/c/${characterId}/dataset`);
    await page.waitForSelector('[data-testid=dataset-item]');
    await expect(page.textContent('[data-testid=quality-warnings-count]')).resolves.toBe(
      '⚠ 1 image has a quality warning (of 3): check it and exclude what looks wrong before training. Show only the warned image',
    );
    const warned = page.locator('[data-testid=dataset-item]', { hasText: 'a.png' });
    await expect(warned.locator('[data-testid=quality-warning]').textContent()).resolves.toBe(
      '⚠ Quality warning: text removal erased 12 % of the character (40x40 at 0,0)',
    );
    await expect(page.locator('[data-testid=quality-warning]').count()).resolves.toBe(1);
    // the caption field's description names the warning (screen readers read it with the field)
    const description = await page.getByRole('textbox', { name: 'Caption for a.png' }).evaluate((field) =>
      (field.getAttribute('aria-describedby') ?? '')
        .split(' ')
        .map((id) => document.getElementById(id)?.textContent ?? '')
        .join(' '),
    );
    expect(description).toContain('Quality warning: text removal erased 12 %');

    // the header's button sets "Show" to the warned items (focus on it), and goes
    await page.getByRole('button', { name: 'Show only the warned image' }).click();
    await expect(page.inputValue('[data-testid=item-filter]')).resolves.toBe('quality');
    await expect(
      page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null),
    ).resolves.toBe('item-filter');
    await expect(page.locator('[data-testid=dataset-item]:visible').allTextContents()).resolves.toEqual([
      expect.stringContaining('a.png'),
    ]);
    await expect(page.textContent('[data-testid=quality-warnings-count]')).resolves.toBe(
      '⚠ 1 image has a quality warning (of 3), shown below: check it and exclude what looks wrong before training.',
    );
    await expect(page.locator('[data-testid=show-warned]').count()).resolves.toBe(0);
  });
});

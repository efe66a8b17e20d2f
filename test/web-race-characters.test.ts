// test/web-race-characters.test.ts — stale answers on the Characters page, in chromium, forced by holding requests
// back: a double-clicked Create makes one character and no "name taken" banner; of two quick deletes, the first
// delete's late list answer does not bring the second card back; a Delete whose job check answers after the user
// went on to another page asks nothing there (it asked "Delete Leaver?" on the next page, and OK deleted).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdAnswer, holdBack, isGet, sleep } from './helpers/held-requests.js';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
/** Every question the page asked (each is accepted). */
const dialogs: string[] = [];

beforeAll(async () => {
  web = await startWebSession('web-race-characters');
  web.page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });
}, 180_000);

afterAll(() => web?.close());

async function createCharacter(name: string) {
  await web.app.inject({
    method: 'POST',
    url: '/api/characters',
    payload: { name, trigger: `${name.toLowerCase()}_tl`, classWord: 'girl' },
  });
}

async function characterNames(): Promise<string[]> {
  const list = (await web.app.inject({ url: '/api/characters' })).json();
  return list.characters.map((c: { name: string }) => c.name);
}

describe('Characters page: stale answers', () => {
  it('a double-clicked Create makes one character and shows no "name taken" banner', async () => {
    const page = web.page;
    await page.goto(`${web.url}/#/`);
    await page.waitForSelector('h1:has-text("Characters")');
    // the second POST (the double click's) reaches the server after the first made the character
    await holdBack(page, '**/api/characters', 1_000, (_route, n) => n === 2);
    try {
      await page.fill('input[name=name]', 'Twice');
      await page.fill('input[name=trigger]', 'twice_tl');
      await page.locator('button:has-text("Create")').dblclick();
      await page.waitForSelector('h1:has-text("Twice: ")', { timeout: 10_000 });
      await sleep(2_000);
    } finally {
      await page.unroute('**/api/characters');
    }
    expect(await page.getByRole('alert').allTextContents()).toEqual([]);
    expect((await characterNames()).filter((name) => name === 'Twice')).toHaveLength(1);
  }, 60_000);

  it("two quick deletes: the first delete's late list answer does not bring the second card back", async () => {
    const page = web.page;
    for (const name of ['Del1', 'Del2', 'Del3']) await createCharacter(name);
    await page.goto(`${web.url}/#/`);
    await page.waitForSelector('text=Del3');
    let lists = 0;
    // the list read after Del1's delete is answered before Del2 goes; the page gets it 2 s later
    await holdAnswer(page, '**/api/characters', 2_000, (route) => isGet(route) && ++lists === 1);
    try {
      await page.locator('button[aria-label="Delete Del1"]').click();
      await expect.poll(() => lists).toBe(1);
      await page.locator('button[aria-label="Delete Del2"]').click();
      await expect.poll(() => lists).toBe(2);
      await sleep(3_000);
    } finally {
      await page.unroute('**/api/characters');
    }
    const names = await page.locator('[data-testid=character-card] strong').allTextContents();
    expect(names).toContain('Del3');
    expect(names).not.toContain('Del1');
    expect(names).not.toContain('Del2');
  }, 60_000);

  it('a Delete whose job check answers after the user left the list asks nothing on the next page', async () => {
    const page = web.page;
    await createCharacter('Leaver');
    await page.goto(`${web.url}/#/models`);
    await page.goto(`${web.url}/#/`);
    await page.waitForSelector('text=Leaver');
    dialogs.length = 0;
    await holdBack(page, '**/api/jobs?*', 1_500, () => true);
    try {
      await page.locator('button[aria-label="Delete Leaver"]').click();
      await page.locator('a.card-link:has-text("Leaver")').click();
      await page.waitForSelector('h1:has-text("Leaver: ")');
      await sleep(2_500);
    } finally {
      await page.unroute('**/api/jobs?*');
    }
    expect(dialogs).toEqual([]);
    expect(await characterNames()).toContain('Leaver');
  }, 60_000);
});

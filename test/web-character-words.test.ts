// test/web-character-words.test.ts — the Characters page's Rename also changes the trigger and class word: a
// character an older toonlora made with `ze:d` / `boy.` (which its prep now refuses, saying to change them there)
// gets new ones, and only what changed is sent (its name stays). Before, the form held the name only: such a
// character could never be prepped again from the web app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;

beforeAll(async () => {
  web = await startWebSession('web-character-words', { runners: {} });
}, 180_000);
afterAll(() => web?.close());

describe('web app: a character with an older trigger and class word', () => {
  it('Rename changes them; a word the rules refuse is said beside the fields', async () => {
    const { page, url } = web;
    const zed = web.app.catalog.createCharacter({ name: 'Zed', trigger: 'zed_tl', classWord: 'boy' });
    web.app.catalog.db
      .prepare('UPDATE characters SET trigger = ?, class_word = ? WHERE id = ?')
      .run('ze:d', 'boy.', zed.id);
    await page.goto(url);
    await page.getByRole('button', { name: 'Rename Zed' }).click();
    const trigger = page.getByRole('textbox', { name: 'Trigger for Zed' });
    expect(await trigger.inputValue()).toBe('ze:d');
    await trigger.fill('ze d');
    await trigger.press('Enter');
    const alert = page.locator('.card-rename [role=alert]');
    await alert.waitFor();
    expect(await alert.textContent()).toContain('trigger');
    await trigger.fill('zed_tl');
    await page.getByRole('textbox', { name: 'Class word for Zed' }).fill('boy');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'Rename Zed' }).waitFor();
    expect(web.app.catalog.getCharacter(zed.id)).toMatchObject({
      name: 'Zed',
      trigger: 'zed_tl',
      classWord: 'boy',
    });
    expect(await page.locator('[data-testid=character-card] .card-words').textContent()).toBe('zed_tl · boy');
  }, 60_000);
});

// test/web-models.test.ts — the Models page in chromium against a real server whose model pulls reach a fake
// Hub (HF_ENDPOINT): the header's Models link, Pull with a live progress bar (bytes of the file), Cancel with
// the kept partial file said, Resume pull to the end and the model shown complete (the Train page of another
// tab then reads its bases again); a failing pull's error in the CLI's words; Remove after a confirmation.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBytes } from '../src/format-bytes.js';
import { SD15_FILES, writeSd15Snapshot } from '../src/models/sd15-testing.js';
import { type FakeHub, ONNX, startFakeHub } from './helpers/fake-hub.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { closeHubWebSession, startHubWebSession, type WebSession } from './helpers/web-session.js';

const MODEL = 'wd-vit-tagger-v3';
let hub: FakeHub;
let web: WebSession;
let page: Page;
let homeDir: string;

beforeAll(async () => {
  hub = await startFakeHub();
  ({ web, homeDir } = await startHubWebSession('web-models', hub));
  page = web.page;
}, 180_000);

afterAll(() => closeHubWebSession(web, hub));

const card = (id: string) => page.locator(`[data-testid=model-row][data-model="${id}"]`);

describe('the Models page', () => {
  it('pulls a model with a progress bar, cancels it keeping the partial file, and resumes it to the end', async () => {
    await page.goto(`${web.url}/#/`);
    await page.click('header a:has-text("Models")');
    await page.waitForSelector('h1:has-text("Models")');
    const tagger = card(MODEL);
    await expect(tagger.locator('[data-testid=model-state]').textContent()).resolves.toBe('missing');
    await expect(card('paddleocr-det-v4').locator('[data-testid=model-state]').textContent()).resolves.toBe(
      'complete',
    );

    hub.hold = true;
    await tagger.locator('[data-testid=pull-model]').click();
    await hub.halfSent();
    // "131 kB" already shows at 130,810 bytes (0.4989…): wait for the bar at the half the Hub holds at
    await tagger.locator('progress[value="0.5"]').waitFor();
    await tagger.locator('[data-testid=pull-file]:has-text("model.onnx: 131 kB of 262 kB")').waitFor();
    expect(await tagger.locator('progress').getAttribute('value')).toBe('0.5');

    await tagger.locator('[data-testid=cancel-pull]').click();
    await tagger.locator('[data-testid=pull-end]').waitFor();
    await expect(tagger.locator('[data-testid=pull-end]').textContent()).resolves.toMatch(
      /^cancelled; wd-vit-tagger-v3: the partial file .*model\.onnx\.part \(131 kB\) is kept and the next pull resumes it$/,
    );
    // the list read again shows the kept .part, as it would after a server restart
    await tagger
      .locator('[data-testid=model-state]:has-text("partial — 131 kB downloaded, Resume pull continues it")')
      .waitFor();

    // the Train page of another tab hears of the finished pull and reads the bases again
    const { characterId } = await seedDataset(web.app);
    const train = await web.browser.newPage();
    const reads: string[] = [];
    train.on('request', (request) => {
      if (request.url().endsWith('/api/base-models')) reads.push(request.url());
    });
    await train.goto(`${web.url}/#/c/${characterId}/train`);
    await train.waitForFunction(() => document.querySelectorAll('#base-models option').length > 0);
    const readsBefore = reads.length;

    hub.hold = false;
    hub.release();
    await tagger.locator('[data-testid=pull-model]:has-text("Resume pull")').click();
    await tagger.locator('[data-testid=model-state]:has-text("complete")').waitFor();
    await expect.poll(() => reads.length, { timeout: 10_000 }).toBeGreaterThan(readsBefore);
    await train.close();
    await expect(tagger.locator('[data-testid=pull-end]').textContent()).resolves.toMatch(
      /^Pulled: 2 files downloaded/,
    );
    await expect(tagger.locator('[data-testid=pull-model]').count()).resolves.toBe(0);
    expect(hub.requests).toContain(
      `/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx bytes=${ONNX.length / 2}-`,
    );
    await page.screenshot({ path: join(import.meta.dirname, '..', 'test-artifacts', 'web', 'models.png') });
  }, 90_000);

  it('shows a failed pull’s error as `toonlora models pull` prints it', async () => {
    await page.goto(`${web.url}/#/models`);
    await page.waitForSelector('[data-testid=model-row]');
    // the anime person detector's file is not on the fake Hub: a 404, named with the file and the fix
    const detector = card('anime-person-detector');
    await detector.locator('[data-testid=pull-model]').click();
    const end = detector.locator('[data-testid=pull-end]');
    await end.waitFor();
    await expect(end.textContent()).resolves.toMatch(
      /^anime-person-detector: cannot download http:\/\/127\.0\.0\.1:\d+\/deepghs\/anime_person_detection\/resolve\/.*model\.onnx: HTTP 404 .*whoever runs the server can download anime-person-detector on another machine.*$/,
    );
    await expect(end.getAttribute('class')).resolves.toContain('field-warning');
    // an SD1.5 base pulled by Hub id (`models pull owner/name`) is listed after the registry; complete: no Pull
    const hubRepo = join(homeDir, '.cache', 'huggingface', 'hub', 'models--someone--toon-sd15');
    const snapshot = writeSd15Snapshot(join(hubRepo, 'snapshots', 'c'.repeat(40)));
    await page.reload();
    const pulled = card('someone/toon-sd15');
    await pulled.locator('[data-testid=hub-model]').waitFor();
    await expect(pulled.locator('[data-testid=model-state]').textContent()).resolves.toBe('complete');
    await expect(pulled.textContent()).resolves.toContain(snapshot);
    await expect(pulled.locator('[data-testid=pull-model]').count()).resolves.toBe(0);
    // on a 390 px phone the long paths and URLs wrap: no sideways scrolling
    await page.setViewportSize({ width: 390, height: 800 });
    await expect(page.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(390);
  }, 60_000);

  it('removes a model after a confirmation naming its size; the card goes and the bytes freed are said', async () => {
    const hubRepo = join(homeDir, '.cache', 'huggingface', 'hub', 'models--someone--remove-me');
    writeSd15Snapshot(join(hubRepo, 'snapshots', 'e'.repeat(40)));
    await page.goto(`${web.url}/#/models`);
    await page.reload(); // the page may be on #/models already: the list is read again
    const doomed = card('someone/remove-me');
    await doomed.locator('[data-testid=model-state]:has-text("complete")').waitFor();
    const size = formatBytes(Object.values(SD15_FILES).reduce((sum, body) => sum + body.length, 0));
    const questions: string[] = [];
    page.once('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.accept();
    });
    await doomed.locator('[data-testid=remove-model]').click();
    await page.locator('[data-testid=model-removed]').waitFor();
    expect(questions).toEqual([
      `Remove someone/remove-me from the server's disk? This frees ${size}; a pull fetches it again.`,
    ]);
    await expect(page.locator('[data-testid=model-removed]').textContent()).resolves.toMatch(
      /^someone\/remove-me removed: \d+ B freed\.$/,
    );
    await expect(doomed.count()).resolves.toBe(0);
    expect(existsSync(hubRepo)).toBe(false);
  }, 60_000);
});

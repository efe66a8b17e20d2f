// test/web-access.test.ts — the web app's job feedback and accessibility in chromium against a real server
// with a stand-in prep runner: a running dataset build has a Cancel button that says "Cancelling…" until
// the job ends; a finished build lists its stage choices and warns about trigger-only captions; the status
// line is a live region that says when the event stream is down; a second tab's uploads show up; the active
// tab is aria-current with one h1 per page; a refused number field is aria-invalid and focused; captions
// are labelled, capped and warn without the trigger word.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { createDefaultRunners } from '../src/jobs/runners/default-runners.js';
import { solidPng, untilStopped } from './helpers/server-fixtures.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

/** Whether the stand-in prep waits for a cancel (else it ends at once with its stage choices). */
let holdPrep = true;
const STAGES = {
  textDetector: { name: 'classic', reason: 'auto: no OCR weights downloaded' },
  textRemover: { name: 'opencv', reason: 'auto: LaMa not downloaded' },
  segmenter: { name: 'classic', reason: 'auto: isnet-anime not downloaded' },
  personDetector: null,
  captioner: { name: 'none', reason: 'auto: no captioner weights downloaded' },
};

async function standInPrep(context: JobContext) {
  context.emit({ type: 'log', level: 'info', message: 'reading 1 screenshot' });
  if (holdPrep) await untilStopped(context.signal);
  context.progress({ step: 1, total: 1, message: '1 crop from 1 screenshot (1 ok, 0 skipped, 0 failed)' });
  return { stages: STAGES };
}

let web: WebSession;
let url: string;
let page: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-access', {
    runners: (deps) => ({ ...createDefaultRunners(deps), prep: standInPrep }),
  }));
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

/** A PNG of its own colour per name: the same bytes twice would be one screenshot (a duplicate upload). */
const png = async (name: string) => ({
  name,
  mimeType: 'image/png',
  buffer: await solidPng(64, 64, [
    60,
    140,
    [...name].reduce((sum, char) => sum + char.charCodeAt(0), 0) % 256,
  ]),
});

describe('web app: job feedback and accessibility', () => {
  it('cancels a running dataset build; the button says "Cancelling…" until the job ends', async () => {
    await page.goto(`${url}/#/c/${characterId}/upload`);
    await page.setInputFiles('[data-testid=upload-input]', [await png('one.png')]);
    await page.waitForSelector('button:has-text("Build dataset from 1 screenshot")');
    // the upload's outcome is announced
    await page.waitForSelector(
      '[role=status][data-testid=upload-summary]:has-text("Uploaded 1 screenshot.")',
    );
    // the status line is a polite live region
    await page.click('button:has-text("Build dataset")');
    await page.waitForSelector('[data-testid=job-status]:has-text("running")');
    await expect(page.locator('.job-status').getAttribute('role')).resolves.toBe('status');
    await expect(page.locator('.job-status').getAttribute('aria-live')).resolves.toBe('polite');
    // the worker's info line is the stage shown before any figure
    await page.waitForSelector('[data-testid=job-stage]:has-text("reading 1 screenshot")');
    // the cancel request is held a while, as a job that stops at its next step
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route('**/api/jobs/*/cancel', async (route) => {
      await held;
      await route.continue();
    });
    const cancel = page.locator('[data-testid=cancel-job]');
    await expect(cancel.textContent()).resolves.toBe('Cancel the build');
    await cancel.click();
    await page.waitForSelector('[data-testid=cancel-job][aria-disabled=true]:has-text("Cancelling…")');
    release();
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")');
    await expect(cancel.count()).resolves.toBe(0);
    await page.unroute('**/api/jobs/*/cancel');
  }, 60_000);

  it("lists a finished build's stage choices and warns that captions are trigger-only", async () => {
    holdPrep = false;
    await page.click('button:has-text("Build dataset")');
    await page.waitForSelector('[data-testid=job-status]:has-text("succeeded")');
    await page.waitForSelector('[data-testid=caption-fallback]');
    await expect(page.textContent('[data-testid=caption-fallback]')).resolves.toMatch(
      /^No tags were captioned: every caption is only the trigger and class words \(auto: no captioner weights downloaded\)/,
    );
    await page.click('[data-testid=prep-stages] summary');
    await expect(page.locator('[data-testid=prep-stages] li').allTextContents()).resolves.toContain(
      'captions: none (auto: no captioner weights downloaded)',
    );
  }, 30_000);

  it('says the connection is lost while the event stream is down, and clears it once it is back', async () => {
    holdPrep = true;
    await page.route('**/api/jobs/*/stream*', (route) => route.fulfill({ status: 503, body: 'down' }));
    await page.click('button:has-text("Build dataset")');
    await page.waitForSelector(
      '[data-testid=job-disconnected]:has-text("connection to the server lost, retrying…")',
    );
    await page.unroute('**/api/jobs/*/stream*');
    await page.waitForSelector('[data-testid=job-status]:has-text("running")', { timeout: 20_000 });
    await page.waitForSelector('[data-testid=job-disconnected]', { state: 'detached', timeout: 20_000 });
    await page.click('[data-testid=cancel-job]');
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")');
  }, 60_000);

  it("shows another tab's uploads without a reload", async () => {
    const other = await web.browser.newPage();
    try {
      await other.goto(`${url}/#/c/${characterId}/upload`);
      await other.waitForSelector('button:has-text("Build dataset from 1 screenshot")');
      await other.setInputFiles('[data-testid=upload-input]', [await png('two.png')]);
      await other.waitForSelector('button:has-text("Build dataset from 2 screenshots")');
    } finally {
      await other.close();
    }
    await page.waitForSelector('button:has-text("Build dataset from 2 screenshots")', { timeout: 15_000 });
  }, 40_000);

  it('marks the active tab, has one h1 per page and focuses it after a tab switch', async () => {
    await expect(page.locator('nav a[aria-current=page]').textContent()).resolves.toBe('Screenshots');
    await expect(page.locator('h1').allTextContents()).resolves.toEqual(['Mina: Screenshots']);
    await page.focus('nav a:has-text("Train")');
    await page.keyboard.press('Enter');
    await page.waitForSelector('h1:has-text("Mina: Train")');
    await page.waitForFunction(() => document.activeElement?.tagName === 'H1');
    await expect(page.locator('nav a[aria-current=page]').textContent()).resolves.toBe('Train');
    await expect(page.locator('h1').count()).resolves.toBe(1);
  }, 30_000);

  it('marks a refused number field aria-invalid, points it at the error and focuses it', async () => {
    await page.waitForSelector('input[name=steps]');
    await page.fill('input[name=steps]', '');
    await page.click('button:has-text("Start training")');
    await page.waitForSelector('#form-error:has-text("Steps: enter a whole number")');
    const steps = page.locator('input[name=steps]');
    await expect(steps.getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(steps.getAttribute('aria-describedby')).resolves.toBe('form-error');
    await expect(steps.evaluate((input) => input === document.activeElement)).resolves.toBe(true);
    await expect(page.locator('input[name=rank]').getAttribute('aria-invalid')).resolves.toBe(null);
    // a run shorter than the sample interval says it will show no sample
    await page.fill('input[name=steps]', '20');
    await expect(page.textContent('[data-testid=sample-note]')).resolves.toMatch(
      /^No sample images: the first comes at step 250/,
    );
  }, 30_000);

  it('labels each caption, caps its length and warns when it lacks the trigger word', async () => {
    await page.goto(`${url}/#/c/${characterId}/dataset`);
    const caption = page.getByRole('textbox', { name: 'Caption for a.png' });
    await caption.waitFor();
    await expect(caption.getAttribute('maxlength')).resolves.toBe('2000');
    await expect(page.locator('[data-testid=caption-warning]').count()).resolves.toBe(0);
    await caption.fill('line one, line two');
    await page.waitForSelector(
      '[data-testid=caption-warning]:has-text("does not start with the trigger word mina_tl")',
    );
  }, 30_000);
});

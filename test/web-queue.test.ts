// test/web-queue.test.ts — a queued job's status line in chromium against a real server whose prep runner
// holds each job until it is cancelled: the "waiting for …" line follows the queue as the jobs before it end,
// instead of naming the queue as it was when the job was submitted.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { createDefaultRunners } from '../src/jobs/runners/default-runners.js';
import { untilStopped } from './helpers/server-fixtures.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

/** A prep that runs until it is cancelled. */
const heldPrep = (context: JobContext): Promise<never> => untilStopped(context.signal);

let web: WebSession;
let url: string;
let page: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-queue', {
    runners: (deps) => ({ ...createDefaultRunners(deps), prep: heldPrep }),
  }));
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

describe('web app: a queued job', () => {
  it('says what it waits for now as the queue moves', async () => {
    const first = web.app.queue.submit('prep', characterId, {});
    const second = web.app.queue.submit('prep', characterId, {});
    const third = web.app.queue.submit('prep', characterId, {});
    expect(web.app.queue.getJob(first.id).status).toBe('running');
    // the upload page follows the newest prep job: the third, queued behind the running one and the second
    await page.goto(`${url}/#/c/${characterId}/upload`);
    await page.waitForSelector('[data-testid=job-status]:has-text("queued")');
    await page.waitForSelector(
      '[data-testid=job-message]:has-text("waiting for the running prep job and 1 queued")',
    );
    // the first ends, the second runs: only the running one is ahead now
    web.app.queue.cancel(first.id);
    await page.waitForSelector('[data-testid=job-message]:text-is("waiting for the running prep job")', {
      timeout: 15_000,
    });
    await expect(page.textContent('[data-testid=job-status]')).resolves.toBe('queued');
    web.app.queue.cancel(second.id);
    await page.waitForSelector('[data-testid=job-status]:has-text("running")', { timeout: 15_000 });
    await expect(page.locator('[data-testid=job-message]').count()).resolves.toBe(0);
    web.app.queue.cancel(third.id);
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")');
  }, 60_000);
});

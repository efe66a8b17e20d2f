// test/web-job-live.test.ts — an open Train page of a queued job asks the server nothing while it waits: its
// place in the queue comes over the job's event stream (a `queue` event when a job ahead starts or ends), not from
// re-reading the queue every 2 s (2 requests each time: 60 a minute). Counts the page's requests in chromium
// against a real server whose prep and train runners hold each job until it is cancelled.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { createDefaultRunners } from '../src/jobs/runners/default-runners.js';
import { watchOpeningReads } from './helpers/browser.js';
import { untilStopped } from './helpers/server-fixtures.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

/** A job that runs until it is cancelled. */
const heldJob = (context: JobContext): Promise<never> => untilStopped(context.signal);

/** How long the page is watched while nothing changes. */
const QUIET_MS = 8_000;

let web: WebSession;
let url: string;
let page: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-job-live', {
    runners: (deps) => ({ ...createDefaultRunners(deps), prep: heldJob, train: heldJob }),
  }));
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

describe('web app: the Train page of a queued job', () => {
  it('sends no request while its job waits, and follows the queue from the stream', async () => {
    const first = web.app.queue.submit('prep', characterId, {});
    const [dataset] = web.app.catalog.listDatasets(characterId);
    const second = web.app.queue.submit('train', characterId, { datasetId: dataset?.id });
    const reads = watchOpeningReads(page);
    await page.goto(`${url}/#/c/${characterId}/train`);
    await page.waitForSelector('[data-testid=job-message]:text-is("waiting for the running prep job")');
    const requests: string[] = [];
    page.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
    await reads.settled();
    reads.stop();
    requests.length = 0;
    await page.waitForTimeout(QUIET_MS);
    const perMinute = Math.round((requests.length * 60_000) / QUIET_MS);
    console.log(
      `requests from a queued job's page: ${requests.length} in ${QUIET_MS} ms (${perMinute}/min)`,
      requests,
    );
    expect(requests).toEqual([]);
    // the job ahead ends: the line changes with no request (the stream says so)
    web.app.queue.cancel(first.id);
    await page.waitForSelector('[data-testid=job-status]:has-text("running")', { timeout: 15_000 });
    expect(requests.filter((line) => !line.includes('/stream'))).toEqual([]);
    web.app.queue.cancel(second.id);
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")');
  }, 90_000);
});

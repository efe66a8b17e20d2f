// test/web-upload-live.test.ts — an open Upload page asks the server nothing while nothing changes: another tab's
// upload, Remove or Build reaches it over the character's stream (an `uploads` or `prep` event), and only then does
// it re-read the screenshots or the prep jobs. Before, it re-read both every 5 s (2 requests each time: 24 a
// minute). Counts the page's requests in chromium against a real server whose prep runner holds each job until it
// is cancelled.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { watchOpeningReads } from './helpers/browser.js';
import { multipartBody, solidPng, untilStopped } from './helpers/server-fixtures.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

/** A job that runs until it is cancelled. */
const heldJob = (context: JobContext): Promise<never> => untilStopped(context.signal);

/** How long the page is watched while nothing changes (longer than the 5 s the page polled at). */
const QUIET_MS = 7_000;

let web: WebSession;
let url: string;
let page: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-upload-live', { runners: { prep: heldJob } }));
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

/** The page's requests from now on (method and path), but for the screenshots' thumbnails. */
function recordRequests(): string[] {
  const requests: string[] = [];
  page.on('request', (request) => {
    const { pathname, search } = new URL(request.url());
    if (!pathname.endsWith('/file')) requests.push(`${request.method()} ${pathname}${search}`);
  });
  return requests;
}

describe('web app: the Upload page', () => {
  it("sends no request while nothing changes, and shows another tab's upload, Remove and Build", async () => {
    const requests = recordRequests();
    const reads = watchOpeningReads(page);
    await page.goto(`${url}/#/c/${characterId}/upload`);
    await page.waitForSelector('text=No screenshots yet');
    // the stream's first open re-reads both lists too (a change made while the page opened sent it no event)
    const count = (request: string) => requests.filter((r) => r === request).length;
    await expect.poll(() => count(`GET /api/characters/${characterId}/images`)).toBe(2);
    await expect.poll(() => count(`GET /api/jobs?characterId=${characterId}&kind=prep`)).toBe(2);
    // then the seeded prep job and its dataset (under load, these came after the lists)
    await reads.settled();
    requests.length = 0;
    await page.waitForTimeout(QUIET_MS);
    console.log(`requests from an idle Upload page: ${requests.length} in ${QUIET_MS} ms`, requests);
    expect(requests).toEqual([]);

    // another tab uploads a screenshot: it shows, after one re-read of the list
    const upload = await web.app.inject({
      method: 'POST',
      url: `/api/characters/${characterId}/images`,
      ...multipartBody([{ filename: 'other-tab.png', data: await solidPng(80, 80) }]),
    });
    expect(upload.statusCode).toBe(201);
    await page.waitForSelector('[data-testid=uploads] figcaption:has-text("other-tab.png")');
    expect(requests).toEqual([`GET /api/characters/${characterId}/images`]);

    // another tab builds: the page follows the prep job
    const prep = web.app.queue.submit('prep', characterId, {});
    await page.waitForSelector('[data-testid=job-status]:has-text("running")', { timeout: 15_000 });
    expect(requests).toContain(`GET /api/jobs?characterId=${characterId}&kind=prep`);
    web.app.queue.cancel(prep.id);
    await page.waitForSelector('[data-testid=job-status]:has-text("cancelled")', { timeout: 15_000 });

    // another tab removes the screenshot: it goes
    const imageId = upload.json().uploaded[0].id;
    await web.app.inject({ method: 'DELETE', url: `/api/images/${imageId}` });
    await page.waitForSelector('text=No screenshots yet');
    // and nothing is asked while nothing changes again
    await reads.settled();
    reads.stop();
    requests.length = 0;
    await page.waitForTimeout(QUIET_MS);
    expect(requests).toEqual([]);
  }, 90_000);
});

// test/web-remote-job-live.test.ts — the Train page of a train job on a `serve --remote-workers` server, in
// chromium: it shows the job waiting for a GPU worker, names the worker as soon as one claims the job and, when
// that worker stops reporting, counts its silence on the page, all from the job's event stream (`remote` events):
// the page sends no request meanwhile (it re-read GET /api/jobs/:id every 2 s: 30 a minute).
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKER_HEADERS, waitForOffers } from './helpers/remote-train-jobs.js';
import { startSeededWebSession, type WebSession } from './helpers/web-session.js';

let web: WebSession;
let url: string;
let page: Page;
let characterId: string;

beforeAll(async () => {
  ({ web, characterId } = await startSeededWebSession('web-remote-live', {
    remoteWorkers: { leaseMs: 60_000, jobs: 1 },
  }));
  ({ url, page } = web);
}, 180_000);

afterAll(() => web?.close());

describe('web app: the Train page of a remote train job', () => {
  it('names the worker on claim and counts its silence, with no request', async () => {
    const [dataset] = web.app.catalog.listDatasets(characterId);
    const job = web.app.queue.submit('train', characterId, { datasetId: dataset?.id });
    await waitForOffers(web.app, job.id, 1);
    await page.goto(`${url}/#/c/${characterId}/train`);
    await page.waitForSelector('[data-testid=job-status]:text-is("waiting")');
    const requests: string[] = [];
    page.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
    const claim = await web.app.inject({
      method: 'POST',
      url: '/api/worker/claim',
      headers: WORKER_HEADERS,
      payload: { worker: 'gpu-a', waitS: 0 },
    });
    expect(claim.statusCode).toBe(200);
    await page.waitForSelector('[data-testid=job-worker]:text-is("on worker gpu-a")', { timeout: 5_000 });
    // no report from the worker: the page says so after 5 s, counting on its own
    await page.waitForSelector('[data-testid=job-worker-silent]:has-text("has not reported for")', {
      timeout: 15_000,
    });
    expect(requests).toEqual([]);
    // the worker stops as a cancel asks: the job ends cancelled
    await web.app.inject({ method: 'POST', url: `/api/jobs/${job.id}/cancel` });
    const leaseId = String(claim.json().leaseId);
    await web.app.inject({
      method: 'POST',
      url: `/api/worker/leases/${leaseId}/fail`,
      headers: WORKER_HEADERS,
      payload: { error: { code: 'TL_ERR_CANCELLED', message: 'stopped' }, stopped: true },
    });
    await page.waitForSelector('[data-testid=job-status]:text-is("cancelled")', { timeout: 15_000 });
  }, 120_000);
});

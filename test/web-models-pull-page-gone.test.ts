// test/web-models-pull-page-gone.test.ts — a pull started on the Models page whose start answer comes after the
// user went on to another page: the page is gone, so it opens no pull stream. Before, follow() opened the stream
// (EventSource) after the page had closed, and nothing closed it until the pull ended; then it re-read the model
// list and told the other pages a model was pulled. Both ways to start one: the Hub form's Pull and a card's
// (Resume pull). In chromium against a real server on loopback and a fake Hub that holds the pull half-sent
// (fake-sd15-hub.ts); the start request is held back by the test (page.route) until the user has left.
import type { Page, Request, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeSd15Hub, SD15_REPO, startFakeSd15Hub } from './helpers/fake-sd15-hub.js';
import { sleep } from './helpers/held-requests.js';
import { closeHubWebSession, startHubWebSession, type WebSession } from './helpers/web-session.js';

let hub: FakeSd15Hub;
let web: WebSession;
let page: Page;

beforeAll(async () => {
  hub = await startFakeSd15Hub();
  ({ web } = await startHubWebSession('web-models-pull-page-gone', hub));
  page = web.page;
}, 180_000);

afterAll(() => closeHubWebSession(web, hub));

const PULL_ROUTE = `/api/models/${encodeURIComponent(SD15_REPO)}/pull`;
const isPullStart = (url: URL) => url.pathname === PULL_ROUTE;
const isPullStream = (request: Request) => new URL(request.url()).pathname === `${PULL_ROUTE}/stream`;

/** The repo's pull as the server's model list has it. */
async function serverPull(): Promise<{ status: string } | null> {
  const answer = await web.app.inject({ method: 'GET', url: '/api/models' });
  const rows = answer.json().models as Array<{ id: string; pull: { status: string } | null }>;
  return rows.find((row) => row.id === SD15_REPO)?.pull ?? null;
}

/**
 * Starts a pull on the Models page with `click`, holding its start request back until the user went on to the
 * Characters page; then lets it reach the server and waits for its answer to reach the page.
 * @returns the pull stream requests the page made after leaving
 */
async function startThenLeave(click: () => Promise<void>): Promise<string[]> {
  let letGo = () => {};
  const held = new Promise<void>((resolve) => {
    letGo = resolve;
  });
  const holdStart = async (route: Route) => {
    if (route.request().method() !== 'POST') return route.continue();
    await held;
    await route.continue().catch(() => {});
  };
  let left = false;
  const streamsAfterLeaving: string[] = [];
  const countStreams = (request: Request) => {
    if (left && isPullStream(request)) streamsAfterLeaving.push(request.url());
  };
  await page.route(isPullStart, holdStart);
  page.on('request', countStreams);
  try {
    const answered = page.waitForResponse(
      (response) => isPullStart(new URL(response.url())) && response.request().method() === 'POST',
    );
    await click();
    await page.click('a.brand');
    await page.waitForSelector('h1:has-text("Characters")');
    left = true;
    letGo();
    expect((await answered).status()).toBe(202);
    await hub.halfSent(); // the pull runs on the server, held half-sent: a stream opened now would stay open
    await sleep(1_500);
    return streamsAfterLeaving;
  } finally {
    page.off('request', countStreams);
    await page.unroute(isPullStart, holdStart);
  }
}

describe('a pull whose start is answered after the user left the Models page', () => {
  it("the Hub form's Pull opens no pull stream once the page is gone", async () => {
    hub.hold = true;
    await page.goto(`${web.url}/#/models`);
    await page.waitForSelector('[data-testid=model-row]');
    await page.fill('[data-testid=hub-repo]', SD15_REPO);
    const streams = await startThenLeave(() => page.click('[data-testid=hub-pull]'));
    // before: one EventSource opened on the Characters page, open until the pull ended
    expect(streams).toEqual([]);
  }, 90_000);

  it("a card's Resume pull opens no pull stream once the page is gone", async () => {
    // the pull the first case left running, cancelled: its card offers Resume pull (the half-sent file is kept)
    const cancelled = await web.app.inject({ method: 'DELETE', url: PULL_ROUTE });
    expect(cancelled.statusCode).toBe(200);
    hub.release();
    await expect.poll(async () => (await serverPull())?.status, { timeout: 20_000 }).toBe('cancelled');
    await page.goto(`${web.url}/#/models`);
    const resume = page.locator(
      `[data-testid=model-row][data-model="${SD15_REPO}"] [data-testid=pull-model]:has-text("Resume pull")`,
    );
    await resume.waitFor();
    const streams = await startThenLeave(() => resume.click());
    expect(streams).toEqual([]);
  }, 90_000);
});

// test/helpers/held-requests.ts — slow networks on demand, for the browser tests of stale answers: a request held
// back before it reaches the server, or answered by the server at once and handed to the page only later (the
// page then gets an answer older than what it did since).
import type { Page, Route } from 'playwright-core';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Which requests to hold: `n` is 1 for the first one the pattern matched. */
export type HoldWhich = (route: Route, n: number) => boolean;

/** Requests `pattern` matches that `which` picks go through `held`; the others on to the server. */
async function routeHeld(
  page: Page,
  pattern: string,
  which: HoldWhich,
  held: (route: Route) => Promise<void>,
) {
  let n = 0;
  await page.route(pattern, async (route) => {
    n += 1;
    if (which(route, n)) await held(route);
    else await route.continue().catch(() => {});
  });
}

/** Requests `pattern` matches that `which` picks reach the server only `ms` later. */
export function holdBack(page: Page, pattern: string, ms: number, which: HoldWhich): Promise<void> {
  return routeHeld(page, pattern, which, async (route) => {
    await sleep(ms);
    await route.continue().catch(() => {});
  });
}

/** Requests `pattern` matches that `which` picks are answered by the server at once; the page gets the answer
 * `ms` later. */
export function holdAnswer(page: Page, pattern: string, ms: number, which: HoldWhich): Promise<void> {
  return routeHeld(page, pattern, which, async (route) => {
    const response = await route.fetch();
    await sleep(ms);
    await route.fulfill({ response }).catch(() => {});
  });
}

/** Whether the request is a GET (a list read, not the action that changed it). */
export const isGet = (route: Route) => route.request().method() === 'GET';

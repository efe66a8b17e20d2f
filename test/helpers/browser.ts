// test/helpers/browser.ts — launches Debian's chromium through playwright-core for the web tests
// (headless, no sandbox, a fresh profile that is its HOME too), and builds web/dist (production) when it is
// missing, stale or a development build.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page, type Request } from 'playwright-core';
import { buildWebApp, webBuildNeed } from '../../src/cli/commands/serve-build.js';

export { webBuildIsDevelopment } from '../../src/cli/commands/serve-build.js';

export const CHROMIUM_PATH = process.env.TOONLORA_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');
export const WEB_DIST = join(ROOT, 'web', 'dist');

/**
 * Runs `npm run build:web` into `webDir` when the build there is missing or stale (by the rule `toonlora serve`
 * uses) or a development build, always as a production build. vitest sets NODE_ENV=test, and vite builds React's
 * development build for any NODE_ENV but production: StrictMode then runs effects twice, and a web test counting
 * requests failed on a machine whose web/dist this helper (or a serve a test started) had built.
 */
export function ensureWebBuilt(webDir = WEB_DIST): void {
  if (webBuildNeed(webDir, ROOT) === undefined) return;
  const build = buildWebApp(ROOT, webDir);
  if (!build.ok) throw new Error(`npm run build:web failed:\n${build.stderr}`);
}

/** A headless chromium with a fresh user-data-dir (persistent context; the caller closes it). */
export async function launchChromium(): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `${CHROMIUM_PATH} not found: run scripts/install-system-deps.sh (apt-get install chromium).`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'toonlora-chromium-'));
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    // the profile folder as its HOME too: its crash reports (~/.config/chromium) and dconf file stay out of the user's
    env: {
      ...process.env,
      HOME: profile,
      XDG_CONFIG_HOME: join(profile, '.config'),
      XDG_CACHE_HOME: join(profile, '.cache'),
    },
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

/** What `watchOpeningReads` gives: `settled()` waits for the page's reads to be done. */
export interface OpeningReads {
  /** Resolves once no request of the page's is in flight (but its event streams, open for good) and none started
   * for `settleMs`, after at most `maxMs`. */
  settled(options?: { settleMs?: number; maxMs?: number }): Promise<void>;
  stop(): void;
}

/**
 * Follows a page's requests from now on (call it before `page.goto`), so that a web test counting the requests of
 * an idle page can start its quiet window once the opening reads are done. Under load a page's last opening reads
 * (a chain: the jobs list, then the job, then the datasets, then one dataset) came after the element the test waited
 * for, and counted as polls. A page that polls every few seconds still shows in the quiet window that follows.
 */
export function watchOpeningReads(page: Page): OpeningReads {
  const inFlight = new Set<Request>();
  let lastChange = Date.now();
  const started = (request: Request) => {
    if (request.resourceType() === 'eventsource') return;
    inFlight.add(request);
    lastChange = Date.now();
  };
  const ended = (request: Request) => {
    if (inFlight.delete(request)) lastChange = Date.now();
  };
  page.on('request', started);
  page.on('requestfinished', ended);
  page.on('requestfailed', ended);
  return {
    async settled({ settleMs = 2_000, maxMs = 20_000 } = {}) {
      const deadline = Date.now() + maxMs;
      while ((inFlight.size > 0 || Date.now() - lastChange < settleMs) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
    },
    stop() {
      page.off('request', started);
      page.off('requestfinished', ended);
      page.off('requestfailed', ended);
    },
  };
}

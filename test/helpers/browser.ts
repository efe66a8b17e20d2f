// test/helpers/browser.ts — launches Debian's chromium through playwright-core for the web tests
// (headless, no sandbox, a fresh profile that is its HOME too), and builds web/dist (production) when it is
// missing, stale or a development build.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
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

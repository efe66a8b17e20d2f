// test/helpers/browser.ts — launches Debian's chromium through playwright-core for the web tests
// (headless, no sandbox, a fresh profile that is its HOME too), and builds web/dist when it is missing or stale.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { webBuildStale } from '../../src/cli/commands/serve-build.js';

export const CHROMIUM_PATH = process.env.TOONLORA_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');
export const WEB_DIST = join(ROOT, 'web', 'dist');

/** Runs `npm run build:web` when web/dist is missing or stale, by the rule `toonlora serve` uses. */
export function ensureWebBuilt(): void {
  if (!webBuildStale(WEB_DIST, ROOT)) return;
  execFileSync('npm', ['run', 'build:web'], { cwd: ROOT, stdio: 'ignore' });
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

// test/helpers/web-session.ts — what every browser test starts with: a real server on loopback serving the
// built web app (web/dist is built first when stale) from a fresh data folder, and a chromium page; closing
// it fails when the browser reported anything the server's Content-Security-Policy blocked. Also one with a
// character and its dataset already made, and one whose model pulls reach a fake Hub.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { BrowserContext, Page } from 'playwright-core';
import type { AppOptions } from '../../src/server/app.js';
import { startServer } from '../../src/server/server.js';
import { ensureWebBuilt, launchChromium, WEB_DIST } from './browser.js';
import type { FakeHubServer } from './fake-hub-server.js';
import { seedDataset, tempDataDir } from './server-fixtures.js';

export interface WebSession {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly browser: BrowserContext;
  readonly page: Page;
  /** What the browser's console said the server's Content-Security-Policy blocked, on any page. */
  readonly cspViolations: string[];
  /** Closes the browser, then the server; throws when the CSP blocked anything (the app must run under it). */
  close(): Promise<void>;
}

/** Where the browser tests save their screenshots: <repo>/test-artifacts/web. */
export const WEB_ARTIFACTS = join(import.meta.dirname, '..', '..', 'test-artifacts', 'web');

/** `options`: the app's runners, generation service, token, ...; `label` names the temporary data folder. */
export async function startWebSession(
  label: string,
  options: Omit<AppOptions, 'dataDir' | 'webDir'> = {},
): Promise<WebSession> {
  ensureWebBuilt();
  const { app, url } = await startServer({
    host: '127.0.0.1',
    port: 0,
    dataDir: tempDataDir(label),
    webDir: WEB_DIST,
    ...options,
  });
  const browser = await launchChromium();
  const cspViolations: string[] = [];
  // Every violation fires this event; the console's own wording differs by kind (an eval probe's line does not
  // say "Content Security Policy"), so the page reports each one in words of its own.
  await browser.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
    });
  });
  browser.on('console', (message) => {
    if (/CSP violation|Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  const page = await browser.newPage();
  return {
    app,
    url,
    browser,
    page,
    cspViolations,
    close: async () => {
      await browser.close();
      await app.close();
      if (cspViolations.length > 0) {
        throw new Error(`the Content-Security-Policy blocked:\n${cspViolations.join('\n')}`);
      }
    },
  };
}

/**
 * A web session (`startWebSession(label, options)`) whose server has one character with a built dataset
 * (seedDataset), and WEB_ARTIFACTS made for screenshots.
 * @returns the session and the character's id
 */
export async function startSeededWebSession(
  label: string,
  options: Omit<AppOptions, 'dataDir' | 'webDir'> = {},
): Promise<{ web: WebSession; characterId: string }> {
  mkdirSync(WEB_ARTIFACTS, { recursive: true });
  const web = await startWebSession(label, options);
  try {
    const { characterId } = await seedDataset(web.app);
    return { web, characterId };
  } catch (error) {
    await web.close();
    throw error;
  }
}

/** A web session whose model pulls reach `hub` (no retries), with a fresh home folder for the model cache. */
export async function startHubWebSession(
  label: string,
  hub: FakeHubServer,
): Promise<{ web: WebSession; homeDir: string }> {
  const homeDir = mkdtempSync(join(tmpdir(), `toonlora-${label}-home-`));
  const web = await startWebSession(label, {
    modelCache: { env: { HF_ENDPOINT: hub.endpoint }, homeDir },
    modelPulls: { retries: 0, idleTimeoutMs: 20_000 },
  });
  return { web, homeDir };
}

/** Lets the hub's held files go, closes the session, then the hub (either may not have started). */
export async function closeHubWebSession(
  web: WebSession | undefined,
  hub: FakeHubServer | undefined,
): Promise<void> {
  hub?.release();
  await web?.close();
  await hub?.close();
}

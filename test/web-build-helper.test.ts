// test/web-build-helper.test.ts — the web tests' ensureWebBuilt (test/helpers/browser.ts) makes a production build
// even under vitest's NODE_ENV=test, and rebuilds a development build it finds. Before, it built React's
// development build (StrictMode effects twice) and kept one: web-upload-live, which counts requests, then failed.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureWebBuilt, webBuildIsDevelopment } from './helpers/browser.js';

const BUILD_TIMEOUT_MS = 240_000; // a vite build, on a machine other test runs share

/** The build's script files, read. */
const scripts = (webDir: string) =>
  readdirSync(join(webDir, 'assets'))
    .filter((name) => name.endsWith('.js'))
    .map((name) => readFileSync(join(webDir, 'assets', name), 'utf8'));

describe('ensureWebBuilt', () => {
  it(
    'builds a missing web app as a production build under NODE_ENV=test',
    () => {
      expect(process.env.NODE_ENV).toBe('test');
      const webDir = join(mkdtempSync(join(tmpdir(), 'toonlora-web-build-')), 'dist');
      ensureWebBuilt(webDir);
      expect(readFileSync(join(webDir, 'index.html'), 'utf8')).toContain('/assets/index-');
      expect(scripts(webDir).length).toBeGreaterThan(0);
      expect(webBuildIsDevelopment(webDir)).toBe(false);
    },
    BUILD_TIMEOUT_MS,
  );

  it(
    'rebuilds a fresh development build as a production one',
    () => {
      const webDir = mkdtempSync(join(tmpdir(), 'toonlora-web-dev-build-'));
      mkdirSync(join(webDir, 'assets'));
      // written now: newer than every source, so only its mode makes it stale
      writeFileSync(join(webDir, 'assets', 'index-dev.js'), 'console.info("Download the React DevTools");');
      writeFileSync(join(webDir, 'index.html'), '<script src="/assets/index-dev.js"></script>');
      expect(webBuildIsDevelopment(webDir)).toBe(true);
      ensureWebBuilt(webDir);
      expect(readdirSync(join(webDir, 'assets'))).not.toContain('index-dev.js');
      expect(webBuildIsDevelopment(webDir)).toBe(false);
    },
    BUILD_TIMEOUT_MS,
  );
});

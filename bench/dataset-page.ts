// bench/dataset-page.ts — how the Dataset page copes with a long list: a server with one dataset of N crops
// (test/helpers/big-dataset.ts, 4 stage images each), the page opened in headless chromium, and measured: time
// from navigation to the first row in the DOM, time to interactive (the end of the last long task, 50 ms+, after
// it), DOM elements, JS heap, stage images fetched, one Exclude click until its row shows it, and excluding 30
// crops (with the bulk bar: a shift-click range and "Exclude selected"; without: 30 Exclude clicks).
// Run: npx tsx bench/dataset-page.ts [--items 200] [--runs 3] [--web-dir <a built web app, default web/dist>]
import { parseArgs } from 'node:util';
import type { CDPSession, Page } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../src/server/server.js';
import { seedBigDataset } from '../test/helpers/big-dataset.js';
import { ensureWebBuilt, launchChromium, WEB_DIST } from '../test/helpers/browser.js';

interface Figures {
  firstRowMs: number;
  interactiveMs: number;
  domElements: number;
  rowsInDom: number;
  jsHeapMiB: number;
  imagesFetched: number;
  excludeClickMs: number;
  excludeThirtyMs: number;
}

/** Records, from navigation start, when the first row appears and each long task's end. */
function pageProbe() {
  const w = window as unknown as { __bench: { firstRow: number | null; longTaskEnds: number[] } };
  w.__bench = { firstRow: null, longTaskEnds: [] };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.__bench.longTaskEnds.push(e.startTime + e.duration);
  }).observe({ type: 'longtask', buffered: true });
  new MutationObserver((_, observer) => {
    if (document.querySelector('[data-testid=dataset-item]')) {
      w.__bench.firstRow = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
}

async function heapMiB(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
  return used / 2 ** 20;
}

/** Excludes the first 30 rows as a user would with the page at hand (bulk when it has the bar). */
async function excludeThirty(page: Page): Promise<number> {
  const rows = page.locator('[data-testid=dataset-item]');
  const last = rows.nth(29).locator('button:text-is("Re-include")');
  const started = Date.now();
  if ((await page.locator('[data-testid=bulk-bar]').count()) > 0) {
    await rows.nth(0).locator('[data-testid=pick-item]').click();
    await rows
      .nth(29)
      .locator('[data-testid=pick-item]')
      .click({ modifiers: ['Shift'] });
    await page.locator('[data-testid=bulk-exclude]').click();
  } else {
    for (let i = 0; i < 30; i++) {
      await rows.nth(i).locator('button:text-is("Exclude")').click();
      await rows.nth(i).locator('button:text-is("Re-include")').waitFor();
    }
  }
  await last.waitFor();
  return Date.now() - started;
}

async function measure(page: Page, url: string, reincludeAll: () => void): Promise<Figures> {
  let imagesFetched = 0;
  const count = (response: { url(): string }) => {
    if (/\/api\/datasets\/[^/]+\/items\//.test(response.url())) imagesFetched += 1;
  };
  page.on('response', count);
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForSelector('[data-testid=dataset-item]');
  await page.waitForTimeout(2500); // quiet: long tasks after the list done, lazy images in view fetched
  const probe = await page.evaluate(() => {
    const b = (window as unknown as { __bench: { firstRow: number; longTaskEnds: number[] } }).__bench;
    return {
      firstRow: b.firstRow,
      lastLongTask: Math.max(0, ...b.longTaskEnds),
      domElements: document.getElementsByTagName('*').length,
      rowsInDom: document.querySelectorAll('[data-testid=dataset-item]').length,
    };
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const jsHeapMiB = await heapMiB(cdp);
  await cdp.detach();
  page.off('response', count);
  const row = page.locator('[data-testid=dataset-item]').first();
  const started = Date.now();
  await row.locator('button:text-is("Exclude")').click();
  await row.locator('button:text-is("Re-include")').waitFor();
  const excludeClickMs = Date.now() - started;
  await row.locator('button:text-is("Re-include")').click(); // back as it was for the next run
  await row.locator('button:text-is("Exclude")').waitFor();
  const excludeThirtyMs = await excludeThirty(page);
  reincludeAll(); // the next run starts from none excluded (it loads the page afresh)
  return {
    firstRowMs: Math.round(probe.firstRow),
    interactiveMs: Math.round(Math.max(probe.firstRow, probe.lastLongTask)),
    domElements: probe.domElements,
    rowsInDom: probe.rowsInDom,
    jsHeapMiB: Math.round(jsHeapMiB * 10) / 10,
    imagesFetched,
    excludeClickMs,
    excludeThirtyMs,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function main() {
  const { values } = parseArgs({
    options: {
      items: { type: 'string', default: '200' },
      runs: { type: 'string', default: '3' },
      'web-dir': { type: 'string' },
    },
  });
  if (!values['web-dir']) ensureWebBuilt();
  const webDir = values['web-dir'] ?? WEB_DIST;
  const dataDir = mkdtempSync(join(tmpdir(), 'toonlora-bench-dataset-page-'));
  const { app, url } = await startServer({ host: '127.0.0.1', port: 0, dataDir, webDir });
  const browser = await launchChromium();
  try {
    const { characterId, datasetId } = await seedBigDataset(app, Number(values.items));
    const keys = app.catalog.listDatasetItems(datasetId).map((item) => item.key);
    const reincludeAll = () => app.catalog.setDatasetItemsExcluded(datasetId, keys, false);
    await browser.addInitScript(pageProbe);
    const page = await browser.newPage();
    const runs: Figures[] = [];
    for (let i = 0; i < Number(values.runs); i++) {
      runs.push(await measure(page, `${url}/#/c/${characterId}/dataset`, reincludeAll));
      console.log(`run ${i + 1}:`, JSON.stringify(runs[i]));
    }
    const figures = Object.keys(runs[0] ?? {}) as (keyof Figures)[];
    console.log(`median of ${runs.length} (${values.items} items, ${webDir}):`);
    for (const key of figures) console.log(`  ${key}: ${median(runs.map((r) => r[key]))}`);
  } finally {
    await browser.close();
    await app.close();
  }
}

await main();

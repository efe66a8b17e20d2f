// test/helpers/prep-output-setup.ts — shared set-up of the test/prep-output-*.test.ts files (runPrep and its
// output folder): a temporary root with empty model homes, one drawn panel to prep (drawn before the file's
// tests), and the dataset folder a run reports.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect } from 'vitest';
import { drawPanels, writePanelImages } from '../../scripts/draw-panels.js';
import type { PrepResult } from '../../src/prep/pipeline.js';

/** The dataset folder a run wrote (a failure when it reports none). */
export function writtenDataset(result: PrepResult): string {
  expect(result.datasetDir).not.toBeNull();
  return result.datasetDir ?? '';
}

/** A fresh temporary root and a model cache inside it with no model pulled. */
export function prepOutputRoot() {
  const root = mkdtempSync(join(tmpdir(), 'toonlora-prep-out-'));
  const emptyCache = { env: { TOONLORA_HOME: join(root, 'empty-home'), HF_HOME: join(root, 'empty-hf') } };
  return { root, emptyCache };
}

/** The first panel of scripts/draw-panels.ts, written into `dir`; resolves to its path. */
export async function drawOnePanel(dir: string): Promise<string> {
  const [panel] = (await writePanelImages((await drawPanels()).slice(0, 1), dir)) as [string];
  return panel;
}

/** prepOutputRoot(), and the first panel drawn into `<root>/in` before the file's tests (its path: drawn.panel). */
export function prepOutputFixture() {
  const { root, emptyCache } = prepOutputRoot();
  const drawn = { panel: '' };
  beforeAll(async () => {
    drawn.panel = await drawOnePanel(join(root, 'in'));
  }, 60_000);
  return { root, emptyCache, drawn };
}

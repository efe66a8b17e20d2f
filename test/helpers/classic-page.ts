// test/helpers/classic-page.ts — one page written from SVG and run through the classic prep stages with
// stand-in "text lines" at given boxes: analyseFile on it (the analysed result, else an error naming its
// entry), or runPrep on a folder holding only it; and the pixels text removal changed in a box.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { analyseFile } from '../../src/prep/analyse-file.js';
import { type PrepProgress, runPrep } from '../../src/prep/pipeline.js';
import type { ManifestFile } from '../../src/schemas/manifest.js';
import { prepConfigSchema } from '../../src/schemas/config.js';
import type { Box } from '../../src/vision/image.js';
import { decodeToRgb, renderSvgToRgb } from '../../src/vision/sharp-io.js';
import { writePage } from '../fixtures/prep-quality/pages.js';
import { emptyModelCache } from './images.js';
import { classicStages, textLineAt } from './prep-quality-stages.js';

/** `svg` written to `dir`/`name` and analysed (default config, stage images kept) with a text line at `box`. */
export async function analyseWithTextLine(dir: string, name: string, svg: string, box: Box) {
  const file = await writePage(dir, name, svg);
  const analysis = await analyseFile(
    await classicStages([textLineAt(box)]),
    prepConfigSchema.parse({}),
    file,
    true,
  );
  if (analysis.kind !== 'analysed') throw new Error(JSON.stringify(analysis.entry));
  return { file, analysis };
}

/** runPrep (stages saved, no person detector) on `svg` as `<stem>.png`, alone in a folder under `root`, with
 * a text line at each of `textBoxes`; its output in `root`/`<stem>-out`. */
export async function prepOnePage(
  root: string,
  stem: string,
  svg: string,
  textBoxes: readonly Box[] = [],
  onProgress?: (p: PrepProgress) => void,
) {
  const dir = mkdtempSync(join(root, `${stem}-`));
  await writePage(dir, `${stem}.png`, svg);
  const outDir = join(root, `${stem}-out`);
  const run = await runPrep({
    inputs: [dir],
    outDir,
    cache: emptyModelCache(root),
    saveStages: true,
    stages: { ...(await classicStages(textBoxes.map(textLineAt))), personDetector: null },
    ...(onProgress ? { onProgress } : {}),
  });
  return { run, outDir, file: run.manifest.files[0] };
}

/** Channel values inside `box` that differ between `svg` as drawn and the file's saved text-removed stage. */
export async function changedByTextRemoval(
  outDir: string,
  file: ManifestFile | undefined,
  svg: string,
  box: Box,
): Promise<number> {
  const page = await renderSvgToRgb(svg);
  const removed = await decodeToRgb(join(outDir, file?.stages?.textRemoved ?? ''), { maxPixels: 1e8 });
  let changed = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++)
      for (let c = 0; c < 3; c++) {
        const i = (y * page.width + x) * 3 + c;
        if (removed.data[i] !== page.data[i]) changed++;
      }
  return changed;
}

// The prep benchmark's Python reference (bench/prep_ref_text_plausible.py via bench/prep_ref_stage.py)
// against the TypeScript (src/prep/text-plausible.ts) on cross-hatching: both refuse a detection on a
// cross-hatched shadow (a pattern repeating two ways) and keep letters drawn over one, on the same pixels.
// Needs trainer/.venv (opencv, numpy); skipped with a note where it is not installed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/prep/decode.js';
import type { TextRegion } from '../src/prep/stage-types.js';
import { splitPlausibleText } from '../src/prep/text-plausible.js';
import { writePage } from './fixtures/prep-quality/pages.js';
import { hatchLines, hatchPage, screentone, textLine, whitePatch } from './helpers/hatching.js';

const repo = new URL('..', import.meta.url).pathname;
const python = join(repo, 'trainer/.venv/bin/python');
const hasPython = existsSync(python);
if (!hasPython)
  console.warn('prep-bench-reference-hatching: trainer/.venv is missing; reference checks skipped');
const dir = mkdtempSync(join(tmpdir(), 'toonlora-bench-hatching-'));

/** The detector's line around x 15-224, y 40-84, its box as prep_ref_text_plausible.region_box reads the polygon. */
const region: TextRegion = {
  box: { x: 15, y: 40, width: 210, height: 45 },
  score: 0.9,
  polygon: [
    [15, 40],
    [224, 40],
    [224, 84],
    [15, 84],
  ],
};
const crossHatch = (a: number, b: number, spacing: number, thick: number) =>
  hatchLines(240, 120, a, spacing, thick) + hatchLines(240, 120, b, spacing, thick);

/** Whether the Python reference keeps the region on `svg`'s page as the TypeScript does; the TypeScript's verdict. */
async function sameVerdict(name: string, svg: string): Promise<boolean> {
  const regionsFile = join(dir, 'regions.json');
  writeFileSync(regionsFile, JSON.stringify([{ polygon: region.polygon }]));
  const file = await writePage(dir, `${name}.png`, svg);
  const image = await decodeImage(file, { maxPixels: 1e8 });
  const ours = splitPlausibleText(image, [region]).text.length;
  const out = execFileSync(python, [join(repo, 'bench/prep_ref_stage.py'), 'plausible', file, regionsFile], {
    encoding: 'utf8',
    cwd: join(repo, 'bench'),
  });
  expect((JSON.parse(out) as { kept: number[] }).kept, name).toEqual([ours]);
  return ours === 1;
}

/** `body` (box coordinates) inside the detector's box, white paper around it. */
const onWhite = (body: string) => hatchPage(240, 120, whitePatch(15, 40, 210, 45, body), '#fff');
const boxCrossHatch = (a: number, spacing: number, thick: number) =>
  hatchLines(210, 45, a, spacing, thick) + hatchLines(210, 45, a + 90, spacing, thick);

describe.skipIf(!hasPython)(
  "the prep benchmark's Python reference refuses cross-hatching as the TypeScript does",
  () => {
    it('same verdicts on cross-hatched shadows and on letters over cross-hatching or skin', async () => {
      const cases: [string, string, boolean][] = [
        ['xh-45-6-2', crossHatch(45, -45, 6, 2), false],
        ['xh-30-4-1', crossHatch(30, 120, 4, 1), false],
        ['xh-20-11-3', crossHatch(20, 70, 11, 3), false],
        ['xh-0-8-2', crossHatch(0, 90, 8, 2), false],
        ['latin-over-xh', crossHatch(45, -45, 6, 2) + textLine('LET US GO NOW', 20, 75, 32, '#ff2828'), true],
        [
          'hangul-over-xh',
          crossHatch(30, 120, 8, 1) + textLine('같이 가자', 20, 75, 32, '#000', 'bold'),
          true,
        ],
        ['hangul-on-skin', textLine('좋아! 정말', 20, 75, 32, '#000'), true],
      ];
      for (const [name, body, kept] of cases)
        expect(await sameVerdict(name, hatchPage(240, 120, body)), name).toBe(kept);
    }, 120_000);

    it('same verdicts on white paper: cross-hatching, screentone and parallel lines refused, letters kept', async () => {
      // before, the reference kept every region with white around it (it had no inside-light, stroke
      // direction or repeat check on a light ring) and disagreed with the TypeScript on all but the letters
      const cases: [string, string, boolean][] = [
        ['white-xh-45-4-2', boxCrossHatch(45, 4, 2), false], // mostly ink inside: judged by its strokes
        ['white-xh-45-6-1', boxCrossHatch(45, 6, 1), false], // mostly white inside: as light as a bubble
        ['white-xh-0-11-2', boxCrossHatch(0, 11, 2), false],
        // 1 px lines whose period is a fraction of a pixel off every shift (REPEAT_CONTRAST_SHARE)
        ['white-xh-45-11-1', boxCrossHatch(45, 11, 1), false],
        ['white-xh-75-11-1', boxCrossHatch(75, 11, 1), false],
        ['white-small-latin', textLine('Hello there, friend', 5, 30, 12, '#000'), true],
        ['white-dots-6', screentone(210, 45, 6, 1.5), false],
        ['white-parallel-8', hatchLines(210, 45, 5, 8, 2), false],
        ['white-latin', textLine('WHAT?! NO WAY', 5, 35, 32, '#000'), true],
        ['white-hangul', textLine('같이 가자', 5, 35, 32, '#000', 'bold'), true],
      ];
      for (const [name, body, kept] of cases) expect(await sameVerdict(name, onWhite(body)), name).toBe(kept);
    }, 120_000);
  },
);

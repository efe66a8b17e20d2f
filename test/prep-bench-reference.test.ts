// The prep benchmark's Python reference (bench/prep_ref_stage.py) against the TypeScript prep on the
// steps it gained after test/prep-model-parity.test.ts's checks: white-outlined letters erased
// (text-letters.ts), detections on art refused (text-plausible.ts), a child beside an adult cut off
// (split-figures.ts), and the crop as analyse-file.ts makes it: bubble leftovers out of the mask
// (bubble-remnant.ts, crop-clutter.ts), other characters, bubbles and removed text painted over
// (character-isolate.ts, paint-over.ts); and the steps after those: a closed bubble tail cleared with
// its bubble and its tip opened off the head (bubble-mask.ts), white letters' counters kept and a mostly
// light ring taken for the letters' white outline (text-letters.ts, text-remove.ts), hole sides over
// SIDE_BAND rows and paper carried in beside lines over it (paint-over.ts).
// So `npm run bench:prep` times the same work on both sides.
// Needs trainer/.venv (opencv, numpy); skipped with a note where it is not installed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyseFile } from '../src/prep/analyse-file.js';
import { decodeImage } from '../src/prep/decode.js';
import { paintOverRuns } from '../src/prep/paint-over.js';
import { PIXEL } from '../src/prep/paint-over-sides.js';
import { splitTouchingFigures } from '../src/prep/split-figures.js';
import type { TextRegion } from '../src/prep/stage-types.js';
import { splitPlausibleText } from '../src/prep/text-plausible.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import type { Box, GrayImage, RgbImage } from '../src/vision/image.js';
import { decodeToRgb, encodePng } from '../src/vision/sharp-io.js';
import { drawMask, figure } from './fixtures/figure-masks.js';
import {
  CLOSED_TAIL_AREA,
  CLOSED_TAIL_TEXT_BOX,
  closedTailSvg,
} from './fixtures/prep-quality/bubble-tail.js';
import {
  BUBBLE_TEXT_BOX,
  bubbleTailSvg,
  SFX_BOX,
  sfxBesideSvg,
} from './fixtures/prep-quality/crop-clutter.js';
import { faceBox, oneFigureSvg, twoCharactersSvg, writePage } from './fixtures/prep-quality/pages.js';
import { doubleSpeedLineSquare, horizonSquare } from './fixtures/prep-quality/paint-squares.js';
import { whiteLettersSvg } from './fixtures/prep-quality/white-letters.js';
import { whiteOutlinedSfxSvg } from './fixtures/prep-quality/white-outline.js';
import { makeRgb } from './helpers/images.js';
import { classicStages, colourBox, defaultTextRemover, textLineAt } from './helpers/prep-quality-stages.js';
import { hasReferenceTools, python, repo } from './helpers/python-reference.js';

const hasPython = hasReferenceTools('prep-bench-reference', 'reference checks skipped');

const dir = mkdtempSync(join(tmpdir(), 'toonlora-bench-reference-'));
const config = prepConfigSchema.parse({});

type Packed = { width: number; height: number; bits: string };
function benchStage(args: string[]): Record<string, unknown> {
  const out = execFileSync(python, [join(repo, 'bench/prep_ref_stage.py'), ...args], {
    encoding: 'utf8',
    cwd: join(repo, 'bench'),
  });
  return JSON.parse(out) as Record<string, unknown>;
}
/** Set (> 127) per pixel of a mask prep_ref_stage.py printed (np.packbits, MSB first, base64). */
function unpacked(packed: Packed): (i: number) => boolean {
  const bytes = Buffer.from(packed.bits, 'base64');
  return (i) => (((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1) === 1;
}
/** Pixels set in exactly one of the two masks, and pixels set in ours. */
function compare(ours: GrayImage, theirs: Packed): { differing: number; set: number } {
  expect([theirs.width, theirs.height]).toEqual([ours.width, ours.height]);
  const set = unpacked(theirs);
  let differing = 0;
  let count = 0;
  for (let i = 0; i < ours.data.length; i++) {
    const mine = (ours.data[i] as number) > 127;
    if (mine) count++;
    if (mine !== set(i)) differing++;
  }
  return { differing, set: count };
}
function regionsFile(name: string, regions: readonly TextRegion[]): string {
  const file = join(dir, `${name}.regions.json`);
  writeFileSync(file, JSON.stringify(regions.map((r) => ({ polygon: r.polygon }))));
  return file;
}
async function page(name: string, svg: string): Promise<{ file: string; image: RgbImage }> {
  const file = await writePage(dir, name, svg);
  return { file, image: await decodeImage(file, { maxPixels: config.maxInputPixels }) };
}

describe.skipIf(!hasPython)(
  "the prep benchmark's Python reference does the TypeScript prep's newer steps",
  () => {
    it('erases dark letters with a white outline as the TypeScript does (box on the outline, box on the letters)', async () => {
      const remover = await defaultTextRemover();
      for (const [outline, colour] of [
        [8, [255, 255, 255]],
        [22, [0, 0, 0]],
      ] as const)
        for (const ground of ['tone', '#6a7fa0']) {
          const name = `white-${outline}-${ground.replace('#', '')}.png`;
          const { differing, set } = await removedBoth(
            remover,
            name,
            whiteOutlinedSfxSvg(true, outline, ground),
            whiteOutlinedSfxSvg(false, outline, ground),
            colour,
          );
          expect(set, name).toBeGreaterThan(8_000);
          // measured: 0; the reference without the letters a white outline encloses: 2,050 of 28,020
          // (box on the outline), without the white outline band: 15,374 of 38,378 (box on the letters)
          expect(differing, name).toBeLessThan(set * 0.005);
        }
    }, 180_000);

    it('refuses the same detections as art (a plain face, a hatched face) and keeps the same text', async () => {
      for (const [name, svg, box] of [
        ['plain-face.png', oneFigureSvg(false), faceBox(256)],
        ['hatched-face.png', oneFigureSvg(true), faceBox(256)],
        ['bubble-text.png', bubbleTailSvg(true), BUBBLE_TEXT_BOX],
        ['sfx-beside.png', sfxBesideSvg(true), SFX_BOX],
      ] as const) {
        const { file, image } = await page(name, svg);
        const regions = [textLineAt(box)];
        const ours = splitPlausibleText(image, regions).text.length;
        expect(benchStage(['plausible', file, regionsFile(name, regions)]).kept, name).toEqual([ours]);
      }
      // the hatched face is refused (strokes one way), the bubble's and the sound effect's text kept
      const hatched = await page('hatched-face.png', oneFigureSvg(true));
      expect(splitPlausibleText(hatched.image, [textLineAt(faceBox(256))]).refused).toHaveLength(1);
    }, 120_000);

    it("cuts a child holding an adult's hand off along the same seam as the TypeScript", async () => {
      const mask = childAndAdultMask();
      const file = join(dir, 'child-adult.png');
      await encodePng(mask, file);
      const ours = await splitTouchingFigures(mask);
      const theirs = benchStage(['split', file]);
      expect(ours.splits).toBe(1);
      expect(theirs.splits).toBe(1); // the reference before the peak rule: 0 (one crop of both)
      expect(compare(ours.mask, theirs.character as Packed).differing).toBe(0);
    }, 60_000);

    it('crops as analyse-file.ts does: same character box and mask, the same pixels painted over', async () => {
      for (const [name, svg, boxes] of [
        ['tail.png', bubbleTailSvg(true), [BUBBLE_TEXT_BOX]],
        ['zap.png', sfxBesideSvg(true), [SFX_BOX]],
        ['two.png', twoCharactersSvg, []],
      ] as const) {
        const { mask, apart, channels } = await cropBoth(name, svg, boxes);
        // measured: 0; the reference without the bubble-leftover steps (remnant, cropClutter): 3,028 on tail.png
        expect(mask.differing, name).toBeLessThan(mask.set * 0.005);
        // channel values more than 8 levels apart (measured: 0 on all three; the reference without
        // painting: 6,900 on tail.png, its bubble and tail left in the square)
        expect(apart, name).toBeLessThan(channels * 0.001);
      }
    }, 180_000);

    it('clears a closed bubble tail touching the head with the bubble, and its tip off the head, as bubble-mask.ts does', async () => {
      const { mask, theirs, apart, channels } = await cropBoth('closed-tail.png', closedTailSvg(), [
        CLOSED_TAIL_TEXT_BOX,
      ]);
      // the reference's mask keeps none of the tail (measured: 0 px; masks and squares 0 apart); without its
      // markBubbleTails step the tail joined the head: character box x 212, y 90 instead of x 227, y 158;
      // without the tail-tip opening (bubble-mask.ts openWindow around the tail) the tip's wedge stayed on
      // the head: y 154
      expect(tailPixels(theirs, CLOSED_TAIL_AREA)).toBeLessThan(40);
      expect(mask.differing).toBeLessThan(mask.set * 0.005);
      expect(apart).toBeLessThan(channels * 0.001);
    }, 120_000);

    it("erases white letters over art without their counters' art, as text-letters.ts does", async () => {
      const remover = await defaultTextRemover();
      for (const ground of ['tone', '#6a7fa0']) {
        const name = `white-letters-${ground.replace('#', '')}.png`;
        const { differing, set } = await removedBoth(
          remover,
          name,
          whiteLettersSvg(true, ground),
          whiteLettersSvg(false, ground),
          [255, 255, 255],
        );
        expect(set, name).toBeGreaterThan(5_000);
        // measured: 0; the reference without the outside-colour test (outsideColourShare): 2,836 of
        // 29,401 on screentone (the counters erased too)
        expect(differing, name).toBeLessThan(set * 0.005);
      }
    }, 180_000);

    it('erases dark letters in a medium white outline, box on the letters, as text-remove.ts does', async () => {
      const remover = await defaultTextRemover();
      for (const ground of ['tone', '#6a7fa0'])
        for (const outline of [10, 14, 18]) {
          const name = `white-${outline}-letters-${ground.replace('#', '')}.png`;
          const { differing, set } = await removedBoth(
            remover,
            name,
            whiteOutlinedSfxSvg(true, outline, ground),
            whiteOutlinedSfxSvg(false, outline, ground),
            [0, 0, 0],
          );
          expect(set, name).toBeGreaterThan(8_000);
          // measured: 0 on all six; the reference without the light ring (lightRingColour): 13,924 of
          // 28,149 (10 px, screentone); without what a light band encloses joining the letters: 841
          expect(differing, name).toBeLessThan(set * 0.005);
        }
    }, 240_000);

    it("paints a crop's holes over as paint-over.ts does (sides taken over SIDE_BAND rows and columns)", async () => {
      // measured: 0 on both; the reference with each side from its own row or column alone
      // (SIDE_BAND 0): 120 on the shallow line (its ink streaked across the hole)
      for (const [name, square, kind] of paintSquares())
        expect(await paintedApart(name, square, kind.data), name).toBe(0);
    }, 60_000);

    it('carries paper into a hole beside lines over it, and a wall and a floor each on, as paint-over.ts does', async () => {
      // measured: 0 on both; the reference without the lines-over-paper side (paperColour,
      // linesOverPaper): 240 on the double speed line (the lines' median streaked across the hole);
      // without its rule that half the runs hold both: 180 on the horizon (paper below it)
      for (const [name, { square, kind }] of [
        ['double-speed-line', doubleSpeedLineSquare()],
        ['horizon', horizonSquare()],
      ] as const)
        expect(await paintedApart(name, square, kind), name).toBe(0);
    }, 60_000);
  },
);

/**
 * text-remove.ts's mask and the reference's (prep_ref_stage.py remove) on the page `svg`, its text box the
 * pixels of colour `hug` that the `bare` page lacks: pixels set in exactly one, and pixels set in ours.
 */
async function removedBoth(
  remover: Awaited<ReturnType<typeof defaultTextRemover>>,
  name: string,
  svg: string,
  bare: string,
  hug: readonly number[],
): Promise<{ differing: number; set: number }> {
  const { file, image } = await page(name, svg);
  const clean = (await page(`bare-${name}`, bare)).image;
  const regions = [textLineAt(colourBox(image, clean, hug))];
  const ours = (await remover.remove(image, regions)).mask;
  return compare(ours, benchStage(['remove', file, regionsFile(name, regions)]).text as Packed);
}

/** analyse-file.ts's crop of the page and the reference's: the character masks compared, and how many channel values of the squares are more than 8 apart. */
async function cropBoth(name: string, svg: string, boxes: readonly Box[]) {
  const { file } = await page(name, svg);
  const regions = boxes.map((b: Box) => textLineAt(b));
  const stages = { ...(await classicStages(regions)), personDetector: null };
  const analysis = await analyseFile(stages, config, file, true);
  if (analysis.kind !== 'analysed') throw new Error(`${name}: ${analysis.entry.reason}`);
  const [candidate] = analysis.candidates;
  if (!candidate || !('square' in candidate) || !candidate.square || !analysis.stageImages)
    throw new Error(`${name}: no crop`);
  const out = join(dir, `${name}.square.png`);
  const theirs = benchStage(['crop', file, out, regionsFile(name, regions)]);
  const [x, y, width, height] = theirs.box as number[];
  expect({ x, y, width, height }, name).toEqual(candidate.characterBox);
  const mask = compare(analysis.stageImages.characterMask, theirs.character as Packed);
  const square = await decodeToRgb(readFileSync(out), { maxPixels: 1e8 });
  expect([square.width, square.height]).toEqual([candidate.square.width, candidate.square.height]);
  let apart = 0;
  for (let i = 0; i < square.data.length; i++)
    if (Math.abs((square.data[i] as number) - (candidate.square.data[i] as number)) > 8) apart++;
  return { mask, theirs: theirs.character as Packed, apart, channels: square.data.length };
}

/** Channel values apart between paint-over.ts's painting of `square` and the reference's (prep_ref_stage.py paint). */
async function paintedApart(name: string, square: RgbImage, kind: Uint8Array): Promise<number> {
  const ours = paintOverRuns(square, kind);
  const squareFile = join(dir, `${name}.png`);
  const kindFile = join(dir, `${name}.kind.png`);
  const out = join(dir, `${name}.painted.png`);
  await encodePng(square, squareFile);
  await encodePng({ width: square.width, height: square.height, data: kind }, kindFile);
  benchStage(['paint', squareFile, kindFile, out]);
  const theirs = await decodeToRgb(readFileSync(out), { maxPixels: 1e8 });
  let apart = 0;
  for (let i = 0; i < ours.data.length; i++) if (ours.data[i] !== theirs.data[i]) apart++;
  return apart;
}

/** Pixels of a printed mask set inside `box`. */
function tailPixels(mask: Packed, box: Box): number {
  const set = unpacked(mask);
  let n = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) if (set(y * mask.width + x)) n++;
  return n;
}

/** The child and adult of src/prep/split-figures.test.ts (child at 0.6 x), holding hands: one mask part. */
function childAndAdultMask(): GrayImage {
  const scale = 0.6;
  const childX = 230 + 60 * scale;
  return drawMask(400, 360, [
    ...figure(130, 60, 216, 1, 340 - 170 * scale),
    ...figure(childX, 212, childX + 50 * scale, scale),
  ]);
}

/**
 * Squares to paint over: src/prep/paint-over.test.ts's shallow speed line ending at a hole in the top
 * right corner (no paper above it), and a sky gradient with shallow lines, a round hole of clutter, a
 * character's own pixels beside it (the runs either side stop at them) and another character's block.
 */
function paintSquares(): [string, RgbImage, GrayImage][] {
  const square = (
    name: string,
    width: number,
    height: number,
    colour: (x: number, y: number) => readonly [number, number, number],
    kindAt: (x: number, y: number) => number,
  ): [string, RgbImage, GrayImage] => {
    const kind = new Uint8Array(width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) kind[y * width + x] = kindAt(x, y);
    return [name, makeRgb(width, height, colour), { width, height, data: kind }];
  };
  const corner = (x: number, y: number) => x >= 40 && y < 30;
  const line = (x: number, y: number) => Math.abs(y - (20 - x / 20)) < 1;
  const hole = (x: number, y: number) => (x - 60) ** 2 + (y - 50) ** 2 < 22 ** 2;
  const own = (x: number, y: number) => x >= 30 && x < 40 && y >= 36 && y < 80;
  const other = (x: number, y: number) => x >= 90 && y >= 10 && y < 30;
  const strokes = (x: number, y: number) =>
    Math.abs(y - (40 + x / 12)) < 1 || Math.abs(y - (66 - x / 9)) < 1.5;
  return [
    square(
      'shallow-line',
      60,
      40,
      (x, y) => (corner(x, y) ? [255, 0, 0] : line(x, y) ? [0, 0, 0] : [250, 250, 250]),
      (x, y) => (corner(x, y) ? PIXEL.clutter : PIXEL.background),
    ),
    square(
      'sky-strokes',
      120,
      100,
      (x, y) =>
        hole(x, y) || other(x, y)
          ? [255, 0, 0]
          : own(x, y)
            ? [200, 150, 120]
            : strokes(x, y)
              ? [20, 20, 30]
              : [100 + y, 150 + ((x * 7 + y * 3) % 11), 230],
      (x, y) =>
        own(x, y) ? PIXEL.own : hole(x, y) ? PIXEL.clutter : other(x, y) ? PIXEL.other : PIXEL.background,
    ),
  ];
}

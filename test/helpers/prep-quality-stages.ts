// test/helpers/prep-quality-stages.ts — what the prep quality tests (prep-quality, prep-white-outline,
// prep-crop-clean) share: the classic pipeline with a fixed text detector and the default text remover, a
// detector's text line at a box, the box around the pixels a synthetic page adds to its clean twin, luminance
// and colour counts.
import type { AnalysisStages } from '../../src/prep/analyse-file.js';
import { createClassicSegmenter } from '../../src/prep/segment-classic.js';
import type { TextRegion } from '../../src/prep/stage-types.js';
import { createOpenCvTextRemover } from '../../src/prep/text-remove.js';
import { prepConfigSchema } from '../../src/schemas/config.js';
import type { Box, RgbImage } from '../../src/vision/image.js';

/** The OpenCV text remover with prep's default dilation and inpaint radius. */
export function defaultTextRemover(): ReturnType<typeof createOpenCvTextRemover> {
  const config = prepConfigSchema.parse({});
  return createOpenCvTextRemover({ dilatePx: config.textDilatePx, inpaintRadius: config.inpaintRadius });
}

/** The classic pipeline (no person detector), its text detector reporting `regions`. */
export async function classicStages(regions: TextRegion[] = []): Promise<AnalysisStages> {
  return {
    textDetector: { name: 'fixed', detect: async () => regions },
    textRemover: await defaultTextRemover(),
    segmenter: createClassicSegmenter(),
    personDetector: null,
  };
}

/** A detector's text line at `box` (score 0.9, its polygon the box's corners). */
export function textLineAt(box: Box): TextRegion {
  const { x, y, width: w, height: h } = box;
  return {
    box,
    score: 0.9,
    polygon: [
      [x, y],
      [x + w, y],
      [x + w, y + h],
      [x, y + h],
    ],
  };
}

/** The box around the pixels where `page` is `colour` (within 12) and `clean` is not. */
export function colourBox(page: RgbImage, clean: RgbImage, colour: readonly number[]): Box {
  let [x0, y0, x1, y1] = [page.width, page.height, -1, -1];
  for (let y = 0; y < page.height; y++)
    for (let x = 0; x < page.width; x++) {
      const i = (y * page.width + x) * 3;
      const near = (image: RgbImage) =>
        colour.every((c, k) => Math.abs((image.data[i + k] as number) - c) <= 12);
      if (!near(page) || near(clean)) continue;
      [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
    }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Luminance (0..255) of pixel `i`. */
export const luma = (image: RgbImage, i: number) =>
  0.3 * (image.data[i * 3] as number) +
  0.59 * (image.data[i * 3 + 1] as number) +
  0.11 * (image.data[i * 3 + 2] as number);

/** How many pixels have their luminance pass `mark` on `on` and `art` on `clean` (two images of one size): e.g.
 * letters drawn on a page where its clean copy has none, or what text removal left of them. */
export function countLuma(
  on: RgbImage,
  clean: RgbImage,
  mark: (luma: number) => boolean,
  art: (luma: number) => boolean,
): number {
  let n = 0;
  for (let i = 0; i < clean.width * clean.height; i++) if (mark(luma(on, i)) && art(luma(clean, i))) n++;
  return n;
}

/** Pixels of `image` within 12/255 of `colour` on every channel. */
export function countColour(image: RgbImage, colour: readonly number[]): number {
  let n = 0;
  for (let i = 0; i < image.data.length; i += 3) {
    if (colour.every((c, k) => Math.abs((image.data[i + k] as number) - c) <= 12)) n++;
  }
  return n;
}

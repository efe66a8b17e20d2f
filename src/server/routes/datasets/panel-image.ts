// src/server/routes/datasets/panel-image.ts — a webtoon strip or manga page panel's region (any box: x and y) of a
// dataset item's stage image (original, text removed, mask: prep writes those for the whole file), cut out on the
// fly so the review shows the panel a crop came from instead of the whole strip as a sliver (or the whole page).
import { basename } from 'node:path';
import { isToonloraError, ToonloraError } from '../../../errors.js';
import type { DatasetItemPanel } from '../../../schemas/api.js';
import { extractRegionPng, type PixelRegion, readImageHeader } from '../../../vision/sharp-io.js';

/** The stages drawn over the whole strip or page: a panel's crop shows its region of them (crop / image are per crop). */
export const STRIP_STAGES: ReadonlySet<string> = new Set(['original', 'textRemoved', 'mask']);

/** The panel's box clipped to an image of `width` x `height`; null when nothing of it is inside. */
export function panelRegion(box: PixelRegion, width: number, height: number): PixelRegion | null {
  const x = Math.max(0, box.x);
  const y = Math.max(0, box.y);
  const right = Math.min(width, box.x + box.width);
  const bottom = Math.min(height, box.y + box.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : null;
}

/**
 * The panel's region of the stage image at `path` as PNG, or null when the panel lies outside it (an image
 * that is not the strip or page prep split): the caller then sends the whole image. `what` names it in words.
 * @throws ToonloraError TL_ERR_IMAGE_DECODE (422) naming it when the file is damaged or not an image (it was a
 *   500 "internal server error" with libpng's words in the log only)
 */
export async function panelImagePng(
  path: string,
  panel: DatasetItemPanel,
  what = 'the stage image',
): Promise<Buffer | null> {
  try {
    const header = await readImageHeader(path);
    // EXIF orientations 5-8 turn the picture a quarter: prep's pixels (and the panel boxes) are the turned ones
    const turned = header.orientation >= 5;
    const region = panelRegion(
      panel.box,
      turned ? header.height : header.width,
      turned ? header.width : header.height,
    );
    return region ? await extractRegionPng(path, region) : null;
  } catch (error) {
    if (isToonloraError(error)) throw error;
    const cause = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ToonloraError(
      'TL_ERR_IMAGE_DECODE',
      `${what} cannot be read (${cause}): its file in the data folder is damaged or not an image. Build the dataset again (prep) to write it anew.`,
      { cause: error, details: { file: basename(path) } },
    );
  }
}

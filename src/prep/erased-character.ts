// src/prep/erased-character.ts — the quality warning for a crop whose character was partly erased by
// text removal. Bubble interiors are taken out of the character mask (bubble-mask.ts), so text pixels
// left inside the mask were removed from the art itself: a sound effect over the character, or a false
// text detection on a face or legs that smeared them. A large share is worth a look. Pure.
import type { Box, GrayImage } from '../vision/image.js';
import { MASK_THRESHOLD } from './mask-contours.js';

/**
 * A crop is flagged when text removal erased at least this share of its character's mask pixels.
 * Measured: examples/screens 0.00 (their text is in bubbles or beside the characters); a 100x50 false
 * text box over the face of a full-body figure (test/fixtures/prep-quality/) 0.12; an outlined sound
 * effect across a figure's body 0.08-0.24. Flagged, not refused: a real sound effect over the character
 * also lands here, and its inpainted fill is worth a look as well.
 */
export const ERASED_CHARACTER_WARN_SHARE = 0.05;

/** Share (0..1) of the character mask's pixels inside `box` that the text mask erased. */
export function erasedShare(mask: GrayImage, textMask: GrayImage, box: Box): number {
  let inMask = 0;
  let erased = 0;
  for (let y = box.y; y < box.y + box.height; y++)
    for (let x = box.x; x < box.x + box.width; x++) {
      const i = y * mask.width + x;
      if ((mask.data[i] ?? 0) <= MASK_THRESHOLD) continue;
      inMask++;
      if (textMask.data[i]) erased++;
    }
  return inMask === 0 ? 0 : erased / inMask;
}

/** The quality warning of a crop whose character was `share` erased (its manifest `warnings`), or null under the line. */
export function erasedCharacterWarning(share: number, characterBox: Box, stageImage?: string): string | null {
  if (share < ERASED_CHARACTER_WARN_SHARE) return null;
  const where = `${characterBox.width}x${characterBox.height} at ${characterBox.x},${characterBox.y}`;
  return (
    `quality warning: text removal erased ${Math.round(share * 100)} % of the character (${where}) outside any ` +
    `speech bubble: a sound effect over it, or a false text detection smearing a face or legs; ${
      stageImage ? `check ${stageImage}` : 'check the crop'
    }`
  );
}

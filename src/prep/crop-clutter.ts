// src/prep/crop-clutter.ts — what a crop should not show besides other characters: speech bubbles
// whole (every part of the segmenter's mask that held a bubble interior bubble-mask.ts cleared:
// outline, tail strokes; not the characters found in it) and the mask parts left out as bubbles, and
// removed text (its fill, a smear over screentone). character-isolate.ts paints it over in each crop;
// the bubbles' leftovers (a tail's strokes) also leave the character mask. With the image, the bubbles'
// clutter grows through nearby strokes of the outline's colour (a tail tip the segmenter left out).
import { dilateEllipse } from '../vision/binary-dilate.js';
import type { Box, GrayImage, RgbImage } from '../vision/image.js';
import { componentOfBox, labelMaskComponents, type MaskComponents } from './character-isolate.js';

/** 1 at each label of `components` that owns one of `boxes` (see componentOfBox), by label. */
function labelsOf(components: MaskComponents, boxes: readonly Box[]): Uint8Array {
  const marked = new Uint8Array(components.boxes.length);
  for (const box of boxes) {
    const label = componentOfBox(components, box);
    if (label > 0) marked[label] = 1;
  }
  return marked;
}

export interface CropClutter {
  /** The character mask without the bubbles' leftovers. */
  readonly mask: GrayImage;
  /** `mask`'s components as labelMaskComponents(mask) gives them, when they came out of the work done
   * here (characterIsolator then need not label the mask again); undefined otherwise. */
  readonly components?: MaskComponents;
  /** 255 on speech bubbles and removed text, to paint over in crops; null when there is none. */
  readonly clutter: GrayImage | null;
}

/** How far the bubbles' clutter grows through strokes of their outline's colour, in outline widths. */
export const TIP_STROKE_REACH = 4;
/** Largest difference (any channel) from the outline's colour of a stroke the clutter grows through. */
export const TIP_STROKE_TOLERANCE = 32;
/** A colour is the bubble outline's when one of its channels is below this (not the paper). */
const OUTLINE_DARK_MAX = 225;

/** The page and its outline width: lets the bubbles' clutter take in the strokes next to them. */
export interface ClutterImage {
  readonly image: RgbImage;
  readonly outlinePx: number;
}

/**
 * Speech bubbles: the parts of the segmenter's `raw` mask holding a pixel of `interiors` (the bubble
 * interiors cleared from it), less the `characters` parts of `mask` (the mask after bubble removal,
 * whose parts' boxes `characters` and `bubbleParts` are); plus the `bubbleParts` (parts left out as
 * bubbles) and `textMask`. Returns `mask` without the bubbles and the clutter to paint over.
 */
export async function cropClutter(
  raw: GrayImage,
  interiors: GrayImage | null,
  mask: GrayImage,
  textMask: GrayImage,
  characters: readonly Box[],
  bubbleParts: readonly Box[],
  page?: ClutterImage,
): Promise<CropClutter> {
  const size = raw.data.length;
  const bubble = new Uint8Array(size);
  let anyBubble = false;
  let parts: MaskComponents | undefined;
  if (interiors || bubbleParts.length > 0) {
    parts = await labelMaskComponents(mask);
    const own = labelsOf(parts, characters);
    const left = labelsOf(parts, bubbleParts);
    let rawLabels: Int32Array | undefined;
    let held = new Uint8Array(0);
    if (interiors) {
      const rawParts = await labelMaskComponents(raw);
      rawLabels = rawParts.labels;
      held = new Uint8Array(rawParts.boxes.length);
      for (let p = 0; p < size; p++) if (interiors.data[p]) held[rawLabels[p] as number] = 1;
      held[0] = 0;
    }
    for (let p = 0; p < size; p++) {
      const label = parts.labels[p] as number;
      if (own[label]) continue;
      if (left[label] || (rawLabels && held[rawLabels[p] as number])) {
        bubble[p] = 255;
        anyBubble = true;
      }
    }
  }
  const clutter = new Uint8Array(bubble);
  if (anyBubble && page && parts) {
    const own = labelsOf(parts, characters);
    const isCharacter = new Uint8Array(size);
    for (let p = 0; p < size; p++) if (own[parts.labels[p] as number]) isCharacter[p] = 255;
    const near = dilateEllipse(isCharacter, raw.width, raw.height, page.outlinePx);
    growThroughOutlineColour(clutter, bubble, near, page.image, TIP_STROKE_REACH * page.outlinePx);
  }
  let any = anyBubble;
  for (let p = 0; p < size; p++)
    if (textMask.data[p]) {
      clutter[p] = 255;
      any = true;
    }
  let cleaned = mask;
  let components = parts;
  if (anyBubble) {
    const data = new Uint8Array(mask.data);
    for (let p = 0; p < size; p++) if (bubble[p]) data[p] = 0;
    cleaned = { width: mask.width, height: mask.height, data };
    components = parts && withoutWholeComponents(parts, bubble);
  }
  return {
    mask: cleaned,
    clutter: any ? { width: raw.width, height: raw.height, data: clutter } : null,
    ...(components ? { components } : {}),
  };
}

/** Per channel, the lower median of the `bubble` pixels of `image` that are not paper; null if none. */
export function outlineColour(image: RgbImage, bubble: Uint8Array): [number, number, number] | null {
  const red = new Uint32Array(256);
  const green = new Uint32Array(256);
  const blue = new Uint32Array(256);
  let count = 0;
  const d = image.data;
  for (let p = 0; p < bubble.length; p++) {
    if (!bubble[p]) continue;
    const r = d[3 * p] as number;
    const g = d[3 * p + 1] as number;
    const b = d[3 * p + 2] as number;
    if (r >= OUTLINE_DARK_MAX && g >= OUTLINE_DARK_MAX && b >= OUTLINE_DARK_MAX) continue;
    red[r] = (red[r] as number) + 1;
    green[g] = (green[g] as number) + 1;
    blue[b] = (blue[b] as number) + 1;
    count++;
  }
  if (count === 0) return null;
  const rank = (count - 1) >> 1;
  const median = (h: Uint32Array): number => {
    let seen = 0;
    for (let v = 0; v < 256; v++) {
      seen += h[v] as number;
      if (seen > rank) return v;
    }
    return 255;
  };
  return [median(red), median(green), median(blue)];
}

/**
 * Sets in `clutter` the pixels reached from `bubble` in at most `steps` 8-neighbour steps through pixels
 * of the bubble outline's colour (within TIP_STROKE_TOLERANCE) outside `near` (the characters' parts
 * grown by an outline): a tail tip's stroke the segmenter left out of its mask, not a character's hair.
 */
export function growThroughOutlineColour(
  clutter: Uint8Array,
  bubble: Uint8Array,
  near: Uint8Array,
  image: RgbImage,
  steps: number,
): void {
  const colour = outlineColour(image, bubble);
  if (!colour || steps <= 0) return;
  const { width, height, data } = image;
  const size = width * height;
  const allowed = new Uint8Array(size);
  for (let p = 0; p < size; p++) {
    if (bubble[p] || near[p]) continue;
    if (
      Math.abs((data[3 * p] as number) - colour[0]) <= TIP_STROKE_TOLERANCE &&
      Math.abs((data[3 * p + 1] as number) - colour[1]) <= TIP_STROKE_TOLERANCE &&
      Math.abs((data[3 * p + 2] as number) - colour[2]) <= TIP_STROKE_TOLERANCE
    )
      allowed[p] = 1;
  }
  // breadth-first from the bubble, one ring per step
  let frontier: number[] = [];
  for (let p = 0; p < size; p++) if (bubble[p]) frontier.push(p);
  for (let step = 0; step < steps && frontier.length > 0; step++) {
    const next: number[] = [];
    for (const p of frontier) {
      const x = p % width;
      const y = (p - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (!allowed[q]) continue;
          allowed[q] = 0;
          clutter[q] = 255;
          next.push(q);
        }
      }
    }
    frontier = next;
  }
}

/**
 * `components` less the ones `removed` (non-zero per pixel) takes away, numbered as labelling the mask
 * they leave gives them (the others keep their order: a component's label follows its first pixel in
 * scan order); undefined when `removed` takes part of a component only (a fresh labelling is needed).
 */
export function withoutWholeComponents(
  components: MaskComponents,
  removed: Uint8Array,
): MaskComponents | undefined {
  const { width, height, labels } = components;
  const count = components.boxes.length;
  // 1: a pixel of the component kept, 2: one removed
  const state = new Uint8Array(count);
  let background = 0;
  for (let p = 0; p < labels.length; p++) {
    const label = labels[p] as number;
    if (label) state[label] = (state[label] as number) | (removed[p] ? 2 : 1);
    else background++;
  }
  const renumbered = new Int32Array(count);
  const boxes: Box[] = [{ x: 0, y: 0, width: 0, height: 0 }];
  // the background's box (label 0's, as connectedComponentsWithStats gives it) grows by the removed parts
  let grown = background > 0 ? (components.boxes[0] as Box) : undefined;
  for (let label = 1; label < count; label++) {
    if (state[label] === 3) return undefined;
    const box = components.boxes[label] as Box;
    if (state[label] === 1) {
      renumbered[label] = boxes.length;
      boxes.push(box);
    } else grown = grown ? unionBox(grown, box) : box;
  }
  boxes[0] = grown ?? { x: 0, y: 0, width: 0, height: 0 };
  const out = new Int32Array(labels.length);
  for (let p = 0; p < labels.length; p++) out[p] = renumbered[labels[p] as number] as number;
  return { width, height, labels: out, boxes };
}

/** The smallest box holding both. */
function unionBox(a: Box, b: Box): Box {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}

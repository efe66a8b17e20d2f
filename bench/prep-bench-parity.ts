// bench/prep-bench-parity.ts — whether the two sides of bench/prep-speed.ts did equivalent work on the
// same images (from the warm-up round): text boxes (mean best IoU), character boxes (identical count,
// mean IoU), and the stage masks: the pixels text removal filled and the character mask the crop reads
// (after speech bubbles and the touching-figures split), as IoU per image.
import type { Box } from '../src/vision/image.js';
import type { BitMask, ImageRun, Polygon, RunMasks } from './prep-bench-sides.js';

type Rect = { x0: number; y0: number; x1: number; y1: number };
function rectOf(points: Polygon): Rect {
  const xs = points.map((p) => p[0] as number);
  const ys = points.map((p) => p[1] as number);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
}
function iou(a: Rect, b: Rect): number {
  const w = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const h = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - w * h;
  return union > 0 ? (w * h) / union : 0;
}

/** Character boxes (from the segmentation masks): how many images got the same box on both sides,
 * and the mean IoU of the two boxes. */
export function compareCharacters(ts: readonly ImageRun[], py: readonly ImageRun[]) {
  let same = 0;
  let iouSum = 0;
  ts.forEach((run, i) => {
    const a = run.character;
    const b = py[i]?.character ?? null;
    if (!a || !b) {
      if (!a && !b) {
        same++;
        iouSum += 1;
      }
      return;
    }
    if (a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height) same++;
    const rect = (r: Box): Rect => ({ x0: r.x, y0: r.y, x1: r.x + r.width, y1: r.y + r.height });
    iouSum += iou(rect(a), rect(b));
  });
  return { images: ts.length, same, meanIou: ts.length ? iouSum / ts.length : 0 };
}

/** Box agreement: counts, and the mean best IoU of each TypeScript box against the Python boxes. */
export function compareBoxes(ts: readonly ImageRun[], py: readonly ImageRun[]) {
  let tsCount = 0;
  let pyCount = 0;
  let iouSum = 0;
  ts.forEach((run, i) => {
    const theirs = (py[i]?.polygons ?? []).map(rectOf);
    tsCount += run.polygons.length;
    pyCount += theirs.length;
    for (const polygon of run.polygons) iouSum += Math.max(0, ...theirs.map((t) => iou(rectOf(polygon), t)));
  });
  return { tsCount, pyCount, meanIou: tsCount ? iouSum / tsCount : 0 };
}

/** Set pixels shared by two masks over set pixels in either (1 when both are empty); null when their sizes differ. */
export function maskIou(a: BitMask, b: BitMask): number | null {
  if (a.width !== b.width || a.height !== b.height) return null;
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.width * a.height; i++) {
    const x = a.set(i);
    const y = b.set(i);
    if (x && y) both++;
    if (x || y) either++;
  }
  return either ? both / either : 1;
}

export interface MaskAgreement {
  /** Images both sides sent this mask for. */
  images: number;
  meanIou: number;
  minIou: number;
}

/** Per mask kind, the IoU of the two sides' masks over the images both returned it for. */
export function compareMasks(
  ts: readonly ImageRun[],
  py: readonly ImageRun[],
): Record<keyof RunMasks, MaskAgreement> {
  const agreement = (kind: keyof RunMasks): MaskAgreement => {
    const ious = ts.flatMap((run, i) => {
      const a = run.masks?.[kind];
      const b = py[i]?.masks?.[kind];
      const iou = a && b ? maskIou(a, b) : null;
      return iou === null ? [] : [iou];
    });
    return {
      images: ious.length,
      meanIou: ious.length ? ious.reduce((x, y) => x + y, 0) / ious.length : 0,
      minIou: ious.length ? Math.min(...ious) : 0,
    };
  };
  return { text: agreement('text'), character: agreement('character') };
}

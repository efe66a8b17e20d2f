// src/prep/nms.ts — greedy non-maximum suppression over scored boxes (pure), as the anime person
// detector's YOLO post-processing does it (deepghs imgutils `_yolo_nms`, IoU on corner boxes).

/** Corner box `[x0, y0, x1, y1]` in pixels, x1 >= x0, y1 >= y0. */
export type CornerBox = readonly [number, number, number, number];

/** Intersection over union of two corner boxes, 0..1 (0 when either is empty). */
export function iou(a: CornerBox, b: CornerBox): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Indices of the boxes kept by greedy NMS, highest score first: a box is dropped when its IoU with an
 * already kept box is above `iouThreshold` (0..1). Ties keep the lower index first.
 */
export function nonMaxSuppression(boxes: readonly CornerBox[], scores: readonly number[], iouThreshold: number): number[] {
  if (boxes.length !== scores.length) {
    throw new RangeError(`nonMaxSuppression: ${boxes.length} boxes but ${scores.length} scores`);
  }
  const order = boxes.map((_, i) => i).sort((a, b) => (scores[b] ?? 0) - (scores[a] ?? 0) || a - b);
  const kept: number[] = [];
  for (const index of order) {
    const box = boxes[index] as CornerBox;
    if (kept.every((k) => iou(boxes[k] as CornerBox, box) <= iouThreshold)) kept.push(index);
  }
  return kept;
}

/** YOLO centre box (cx, cy, w, h) -> corner box. */
export function centreToCorners(cx: number, cy: number, w: number, h: number): CornerBox {
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

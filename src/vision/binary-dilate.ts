// src/vision/binary-dilate.ts — dilation of 0/255 masks by OpenCV's elliptical structuring element,
// in plain JS: the same result as cv.dilate(mask, getStructuringElement(MORPH_ELLIPSE, 2r+1)), but by
// rows (distance to the nearest set pixel in each row, then one test per kernel row), so it costs
// O(pixels x (2r + 1)) instead of the WASM build's O(pixels x kernel area). No product rules here.

/**
 * Half-width of each row of OpenCV's (2r+1)x(2r+1) MORPH_ELLIPSE kernel, top row first
 * (getStructuringElement: dx = round(c * sqrt((r² - dy²) / r²)), run c - dx .. c + dx).
 */
export function ellipseRowHalfWidths(radius: number): Int32Array {
  const half = new Int32Array(2 * radius + 1);
  const inv = radius ? 1 / (radius * radius) : 0;
  for (let i = 0; i <= 2 * radius; i++) {
    const dy = i - radius;
    half[i] = Math.round(radius * Math.sqrt((radius * radius - dy * dy) * inv));
  }
  return half;
}

/**
 * A mask (row-major `width` x `height`, any non-zero = set) dilated by the (2r+1)² ellipse: 255 where
 * the kernel centred there covers a set pixel, else 0. Pixels outside the mask count as unset
 * (OpenCV's default border for dilation). Returns a new array; `radius` 0 copies the mask as 0/255.
 */
export function dilateEllipse(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const total = width * height;
  if (mask.length !== total) {
    throw new RangeError(`mask: expected ${width}x${height} = ${total} bytes, got ${mask.length}`);
  }
  const far = width + radius + 1;
  // distance along its row from each pixel to the nearest set pixel (far when the row has none)
  const distance = new Int32Array(total);
  const rowHasSet = new Uint8Array(height);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let last = -far;
    for (let x = 0; x < width; x++) {
      if (mask[row + x]) last = x;
      distance[row + x] = x - last;
    }
    if (last === -far) {
      distance.fill(far, row, row + width);
      continue;
    }
    rowHasSet[y] = 1;
    last = width + far;
    for (let x = width - 1; x >= 0; x--) {
      if (mask[row + x]) last = x;
      const d = last - x;
      if (d < (distance[row + x] as number)) distance[row + x] = d;
    }
  }
  const half = ellipseRowHalfWidths(radius);
  const out = new Uint8Array(total);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - radius);
    const y1 = Math.min(height - 1, y + radius);
    const row = y * width;
    for (let sy = y0; sy <= y1; sy++) {
      if (!rowHasSet[sy]) continue;
      const reach = half[sy - y + radius] as number;
      const src = sy * width;
      for (let x = 0; x < width; x++) {
        if ((distance[src + x] as number) <= reach) out[row + x] = 255;
      }
    }
  }
  return out;
}

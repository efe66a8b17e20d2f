// src/vision/binary-dilate.ts — dilation of 0/255 masks by OpenCV's elliptical structuring element,
// in plain JS: the same result as cv.dilate(mask, getStructuringElement(MORPH_ELLIPSE, 2r+1)), but by
// runs of set pixels (each widened by each kernel row's half-width), so it costs O(runs x (2r + 1))
// fills instead of the WASM build's O(pixels x kernel area). No product rules here.

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
 * Each run of set pixels in a row widens, on each of the 2r + 1 rows the kernel reaches, by that
 * kernel row's half-width: one fill per run and kernel row, so a solid part costs no more than its outline.
 */
export function dilateEllipse(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const total = width * height;
  if (mask.length !== total) {
    throw new RangeError(`mask: expected ${width}x${height} = ${total} bytes, got ${mask.length}`);
  }
  const half = ellipseRowHalfWidths(radius);
  const out = new Uint8Array(total);
  // the runs of one source row: [start, end) pairs
  const runs = new Int32Array(width + 1);
  for (let sy = 0; sy < height; sy++) {
    const src = sy * width;
    let count = 0;
    for (let x = 0; x < width; x++) {
      if (!mask[src + x]) continue;
      const start = x;
      while (x < width && mask[src + x]) x++;
      runs[count++] = start;
      runs[count++] = x;
    }
    if (count === 0) continue;
    const y0 = Math.max(0, sy - radius);
    const y1 = Math.min(height - 1, sy + radius);
    for (let y = y0; y <= y1; y++) {
      const reach = half[sy - y + radius] as number;
      const row = y * width;
      for (let k = 0; k < count; k += 2) {
        const from = Math.max(0, (runs[k] as number) - reach);
        const to = Math.min(width, (runs[k + 1] as number) + reach);
        out.fill(255, row + from, row + to);
      }
    }
  }
  return out;
}

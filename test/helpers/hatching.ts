// test/helpers/hatching.ts — synthetic hatching for the text-plausibility tests: families of parallel
// ink lines (cross-hatching is two of them) and a line of text, as SVG fragments sharp draws
// (renderSvgToRgb), over skin or on a white bubble.

export const SKIN_HEX = '#f2c9a0';
/** Brown-black ink of the hatch lines. */
const INK = '#3c2818';

/**
 * Parallel lines at `angleDeg` (0 = horizontal), `spacingPx` apart and `thickPx` wide, across a
 * `width` x `height` page (through its centre, so every spacing and angle fills the page).
 */
export function hatchLines(
  width: number,
  height: number,
  angleDeg: number,
  spacingPx: number,
  thickPx: number,
): string {
  const a = (angleDeg * Math.PI) / 180;
  const [dx, dy] = [Math.cos(a), Math.sin(a)];
  const reach = Math.hypot(width, height);
  const lines: string[] = [];
  for (let k = -Math.ceil(reach / spacingPx); k <= Math.ceil(reach / spacingPx); k++) {
    const [cx, cy] = [width / 2 - dy * k * spacingPx, height / 2 + dx * k * spacingPx];
    const end = (s: number) =>
      `${(cx + s * dx * reach).toFixed(2)}" y${s > 0 ? 2 : 1}="${(cy + s * dy * reach).toFixed(2)}`;
    lines.push(`<line x1="${end(-1)}" x2="${end(1)}" stroke="${INK}" stroke-width="${thickPx}"/>`);
  }
  return lines.join('');
}

/** A line of `text` (sans-serif, `sizePx`, `fill`, `weight`) with its baseline at (x, y). */
export function textLine(
  text: string,
  x: number,
  y: number,
  sizePx: number,
  fill: string,
  weight = 'normal',
): string {
  return `<text x="${x}" y="${y}" font-family="sans-serif" font-size="${sizePx}" font-weight="${weight}" fill="${fill}">${text}</text>`;
}

/** A `width` x `height` page of `ground` colour with `body` drawn over it. */
export function hatchPage(width: number, height: number, body: string, ground = SKIN_HEX): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="${ground}"/>${body}</svg>`;
}

/**
 * `body` drawn inside a `width` x `height` patch at (x, y) on white (patch coordinates, clipped to it):
 * hatching or screentone with white paper around it, as on a light panel.
 */
export function whitePatch(x: number, y: number, width: number, height: number, body: string): string {
  return `<svg x="${x}" y="${y}" width="${width}" height="${height}"><rect width="${width}" height="${height}" fill="#fff"/>${body}</svg>`;
}

/** Dark screentone dots `spacing` px apart, radius `r`, over a `width` x `height` area (pattern id `id`). */
export function screentone(width: number, height: number, spacing: number, r: number, id = 'dots'): string {
  return `<defs><pattern id="${id}" width="${spacing}" height="${spacing}" patternUnits="userSpaceOnUse"><circle cx="${spacing / 2}" cy="${spacing / 2}" r="${r}" fill="#000"/></pattern></defs><rect width="${width}" height="${height}" fill="url(#${id})"/>`;
}

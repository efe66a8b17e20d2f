// scripts/panel-art.ts — SVG pieces for the synthetic manga / webtoon panels (characters, speech
// bubbles, sound effects, backgrounds). Pure string builders driven by a seeded random source, so the
// same seed always draws the same panel. Used by scripts/draw-panels.ts.

/** Seeded PRNG (mulberry32): returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const FONT_FAMILY = "'Noto Sans CJK KR', 'Noto Sans CJK JP', sans-serif";

export interface CharacterSpec {
  /** Horizontal centre and top of the head, px. */
  readonly cx: number;
  readonly top: number;
  /** Head radius, px; the whole figure is about 7 head radii tall. */
  readonly headR: number;
  readonly hair: 'long' | 'short' | 'ponytail';
  readonly hairColour: string;
  readonly eyeColour: string;
  readonly shirtColour: string;
  readonly pose: 'arms-down' | 'wave' | 'arms-up';
}

/** A character as SVG (black manga outlines). With `silhouette`, everything is drawn white (mask). */
export function characterSvg(c: CharacterSpec, silhouette = false): string {
  const r = c.headR;
  const headCy = c.top + r;
  const fill = (colour: string) => (silhouette ? '#fff' : colour);
  const stroke = silhouette ? '#fff' : '#111';
  const sw = Math.max(2, r * 0.06);
  const neckY = headCy + r * 0.95;
  const torsoTop = neckY + r * 0.15;
  const torsoH = r * 2.6;
  const torsoW = r * 1.7;
  const hipY = torsoTop + torsoH;
  const legLen = r * 2.2;
  const shoulderY = torsoTop + r * 0.3;
  const armLen = r * 2.1;
  const armAngles: Record<CharacterSpec['pose'], [number, number]> = {
    'arms-down': [100, 80],
    wave: [100, -40],
    'arms-up': [-130, -50],
  };
  const [leftDeg, rightDeg] = armAngles[c.pose];
  const arm = (side: -1 | 1, deg: number) => {
    const x0 = c.cx + side * torsoW * 0.45;
    const rad = (deg * Math.PI) / 180;
    const dx = side === -1 ? -Math.abs(Math.cos(rad)) : Math.abs(Math.cos(rad));
    const x1 = x0 + dx * armLen;
    const y1 = shoulderY + Math.sin(rad) * armLen;
    return (
      `<line x1="${x0}" y1="${shoulderY}" x2="${x1}" y2="${y1}" stroke="${stroke}" stroke-width="${r * 0.42}" stroke-linecap="round"/>` +
      `<line x1="${x0}" y1="${shoulderY}" x2="${x1}" y2="${y1}" stroke="${fill(c.shirtColour)}" stroke-width="${r * 0.3}" stroke-linecap="round"/>` +
      `<circle cx="${x1}" cy="${y1}" r="${r * 0.2}" fill="${fill('#f6d7c3')}" stroke="${stroke}" stroke-width="${sw}"/>`
    );
  };
  const legs = [-1, 1]
    .map((side) => {
      const x = c.cx + side * torsoW * 0.22;
      return `<rect x="${x - r * 0.22}" y="${hipY - r * 0.1}" width="${r * 0.44}" height="${legLen}" rx="${r * 0.15}" fill="${fill('#334')}" stroke="${stroke}" stroke-width="${sw}"/>`;
    })
    .join('');
  const hairBack =
    c.hair === 'long'
      ? `<path d="M${c.cx - r * 1.1},${headCy} Q${c.cx - r * 1.3},${headCy + r * 2.6} ${c.cx - r * 0.6},${headCy + r * 2.8} L${c.cx + r * 0.6},${headCy + r * 2.8} Q${c.cx + r * 1.3},${headCy + r * 2.6} ${c.cx + r * 1.1},${headCy} Z" fill="${fill(c.hairColour)}" stroke="${stroke}" stroke-width="${sw}"/>`
      : c.hair === 'ponytail'
        ? `<ellipse cx="${c.cx + r * 1.2}" cy="${headCy + r * 0.6}" rx="${r * 0.45}" ry="${r * 1.2}" fill="${fill(c.hairColour)}" stroke="${stroke}" stroke-width="${sw}"/>`
        : '';
  const fringe = `<path d="M${c.cx - r * 1.05},${headCy + r * 0.1} Q${c.cx - r},${c.top - r * 0.15} ${c.cx},${c.top - r * 0.1} Q${c.cx + r},${c.top - r * 0.15} ${c.cx + r * 1.05},${headCy + r * 0.1} L${c.cx + r * 0.7},${headCy - r * 0.35} L${c.cx + r * 0.3},${headCy - r * 0.1} L${c.cx},${headCy - r * 0.45} L${c.cx - r * 0.35},${headCy - r * 0.1} L${c.cx - r * 0.75},${headCy - r * 0.35} Z" fill="${fill(c.hairColour)}" stroke="${stroke}" stroke-width="${sw}"/>`;
  const eyes = silhouette
    ? ''
    : [-1, 1]
        .map(
          (side) =>
            `<ellipse cx="${c.cx + side * r * 0.38}" cy="${headCy + r * 0.15}" rx="${r * 0.16}" ry="${r * 0.24}" fill="${c.eyeColour}" stroke="#111" stroke-width="${sw}"/>` +
            `<circle cx="${c.cx + side * r * 0.38 + r * 0.05}" cy="${headCy + r * 0.07}" r="${r * 0.06}" fill="#fff"/>`,
        )
        .join('') +
      `<path d="M${c.cx - r * 0.15},${headCy + r * 0.62} Q${c.cx},${headCy + r * 0.72} ${c.cx + r * 0.15},${headCy + r * 0.62}" fill="none" stroke="#111" stroke-width="${sw}"/>`;
  return [
    `<g>`,
    hairBack,
    legs,
    `<rect x="${c.cx - torsoW / 2}" y="${torsoTop}" width="${torsoW}" height="${torsoH}" rx="${r * 0.4}" fill="${fill(c.shirtColour)}" stroke="${stroke}" stroke-width="${sw}"/>`,
    `<rect x="${c.cx - r * 0.18}" y="${neckY - r * 0.1}" width="${r * 0.36}" height="${r * 0.35}" fill="${fill('#f6d7c3')}" stroke="${stroke}" stroke-width="${sw}"/>`,
    arm(-1, leftDeg),
    arm(1, rightDeg),
    `<circle cx="${c.cx}" cy="${headCy}" r="${r}" fill="${fill('#f6d7c3')}" stroke="${stroke}" stroke-width="${sw}"/>`,
    fringe,
    eyes,
    `</g>`,
  ].join('');
}

export interface BubbleSpec {
  readonly cx: number;
  readonly cy: number;
  readonly rx: number;
  readonly ry: number;
  /** Tail tip, px. */
  readonly tail: readonly [number, number];
  readonly lines: readonly string[];
  readonly fontPx: number;
  readonly shape?: 'ellipse' | 'box';
}

/** A speech bubble (white, black outline, tail) without its text: part of the clean art. */
export function bubbleSvg(b: BubbleSpec): string {
  const [tx, ty] = b.tail;
  const tail = `<path d="M${b.cx - b.rx * 0.15},${b.cy + b.ry * 0.8} L${tx},${ty} L${b.cx + b.rx * 0.15},${b.cy + b.ry * 0.8} Z" fill="#fff" stroke="#111" stroke-width="4" stroke-linejoin="round"/>`;
  const body =
    b.shape === 'box'
      ? `<rect x="${b.cx - b.rx}" y="${b.cy - b.ry}" width="${2 * b.rx}" height="${2 * b.ry}" fill="#fffbe8" stroke="#111" stroke-width="4"/>`
      : `<ellipse cx="${b.cx}" cy="${b.cy}" rx="${b.rx}" ry="${b.ry}" fill="#fff" stroke="#111" stroke-width="4"/>`;
  // The tail is drawn first, then the body covers its base; a white patch hides the seam.
  return b.shape === 'box' ? body : `${tail}${body}`;
}

/** The bubble's text lines, centred. With `silhouette`, drawn white (mask). */
export function bubbleTextSvg(b: BubbleSpec, silhouette = false): string {
  const lineH = b.fontPx * 1.35;
  const firstY = b.cy - ((b.lines.length - 1) * lineH) / 2 + b.fontPx * 0.35;
  return b.lines
    .map(
      (line, i) =>
        `<text x="${b.cx}" y="${firstY + i * lineH}" font-family="${FONT_FAMILY}" font-size="${b.fontPx}" text-anchor="middle" fill="${silhouette ? '#fff' : '#111'}">${escapeXml(line)}</text>`,
    )
    .join('');
}

export interface SfxSpec {
  readonly x: number;
  readonly y: number;
  readonly text: string;
  readonly fontPx: number;
  readonly rotateDeg: number;
  readonly fill: string;
}

/** A sound effect: big bold letters with a thick outline, rotated. With `silhouette`, white (mask). */
export function sfxSvg(s: SfxSpec, silhouette = false): string {
  const fill = silhouette ? '#fff' : s.fill;
  const stroke = silhouette ? '#fff' : '#111';
  return `<text x="${s.x}" y="${s.y}" transform="rotate(${s.rotateDeg} ${s.x} ${s.y})" font-family="${FONT_FAMILY}" font-weight="bold" font-size="${s.fontPx}" fill="${fill}" stroke="${stroke}" stroke-width="${Math.max(3, s.fontPx * 0.05)}" paint-order="stroke">${escapeXml(s.text)}</text>`;
}

export type Background = 'flat' | 'screentone' | 'speedlines' | 'gradient' | 'night';

/** Panel background art (busy ones stress the detector and force inpainting instead of flat fills). */
export function backgroundSvg(kind: Background, width: number, height: number, random: () => number): string {
  switch (kind) {
    case 'flat':
      return `<rect width="${width}" height="${height}" fill="#fdfdfb"/>`;
    case 'screentone':
      return (
        `<defs><pattern id="tone" width="9" height="9" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
        `<circle cx="4.5" cy="4.5" r="1.8" fill="#777"/></pattern></defs>` +
        `<rect width="${width}" height="${height}" fill="#f4f4f4"/><rect width="${width}" height="${height}" fill="url(#tone)"/>`
      );
    case 'speedlines': {
      const lines: string[] = [];
      const cx = width / 2;
      const cy = height / 2;
      for (let i = 0; i < 90; i++) {
        const a = random() * Math.PI * 2;
        const r0 = Math.min(width, height) * (0.3 + random() * 0.15);
        const r1 = Math.max(width, height);
        lines.push(
          `<line x1="${cx + Math.cos(a) * r0}" y1="${cy + Math.sin(a) * r0}" x2="${cx + Math.cos(a) * r1}" y2="${cy + Math.sin(a) * r1}" stroke="#222" stroke-width="${1 + random() * 4}"/>`,
        );
      }
      return `<rect width="${width}" height="${height}" fill="#fafafa"/>${lines.join('')}`;
    }
    case 'gradient':
      return (
        `<defs><linearGradient id="sky" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#9cc8f0"/>` +
        `<stop offset="1" stop-color="#f7e7c6"/></linearGradient></defs><rect width="${width}" height="${height}" fill="url(#sky)"/>` +
        `<rect y="${height * 0.78}" width="${width}" height="${height * 0.22}" fill="#8fb07a"/>`
      );
    case 'night': {
      const stars = Array.from(
        { length: 60 },
        () =>
          `<circle cx="${random() * width}" cy="${random() * height * 0.6}" r="${1 + random() * 2}" fill="#ffe"/>`,
      ).join('');
      return `<rect width="${width}" height="${height}" fill="#1d2340"/>${stars}`;
    }
  }
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

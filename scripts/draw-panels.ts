// scripts/draw-panels.ts — draws the synthetic manga / webtoon panels (seeded, deterministic) with
// their ground truth: the same art without text, the text mask, the character mask and the character
// boxes. `npm run examples` writes the with-text panels to examples/screens/ (the bundled demo input);
// `--ground-truth <dir>` also writes clean images, masks and boxes.json there. Tests call drawPanels().
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Box, GrayImage, RgbImage } from '../src/vision/image.js';
import { encodeJpeg, encodePng, renderSvgToRgb } from '../src/vision/sharp-io.js';
import {
  type Background,
  type BubbleSpec,
  backgroundSvg,
  bubbleSvg,
  bubbleTextSvg,
  type CharacterSpec,
  characterSvg,
  type SfxSpec,
  seededRandom,
  sfxSvg,
} from './panel-art.js';

interface PanelSpec {
  readonly name: string;
  readonly width: number;
  readonly height: number;
  readonly background: Background;
  readonly characters: readonly CharacterSpec[];
  readonly bubbles: readonly BubbleSpec[];
  readonly sfx: readonly SfxSpec[];
  /** Format of the bundled example (JPEG for the busy ones keeps examples/ small). */
  readonly format: 'png' | 'jpeg';
}

export interface SyntheticPanel {
  readonly name: string;
  readonly format: 'png' | 'jpeg';
  /** The panel as a user would drop it: art + text. */
  readonly image: RgbImage;
  /** The same art without any text. */
  readonly clean: RgbImage;
  /** 255 where text was drawn (glyph pixels incl. outlines). */
  readonly textMask: GrayImage;
  /** 255 where a character is. */
  readonly characterMask: GrayImage;
  /** One box per character (from its own mask). */
  readonly characterBoxes: readonly Box[];
  /** Each text line drawn (bubble lines and sound effects): its pixel indices (y * width + x). */
  readonly textLines: readonly { readonly text: string; readonly pixels: Uint32Array }[];
}

const HAIR = ['#2b2b35', '#e9c46a', '#b5523b', '#6d4c9f', '#f4a6c0'];
const EYES = ['#2a6fdb', '#3a9d5d', '#8a4b2a', '#c0392b'];
const SHIRTS = ['#e76f51', '#2a9d8f', '#f2f2f2', '#457b9d', '#f4d35e'];

function panelSpecs(seed: number): PanelSpec[] {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const jitter = (span: number) => Math.round((random() - 0.5) * span);
  const character = (
    cx: number,
    top: number,
    headR: number,
    hair: CharacterSpec['hair'],
    pose: CharacterSpec['pose'],
  ) => ({
    cx: cx + jitter(30),
    top: top + jitter(20),
    headR,
    hair,
    pose,
    hairColour: pick(HAIR),
    eyeColour: pick(EYES),
    shirtColour: pick(SHIRTS),
  });
  return [
    {
      name: 'panel-01-bubbles',
      width: 1024,
      height: 1024,
      background: 'flat',
      characters: [character(600, 330, 88, 'long', 'wave')],
      bubbles: [
        {
          cx: 250,
          cy: 170,
          rx: 210,
          ry: 120,
          tail: [430, 330],
          lines: ['안녕하세요!', '오늘 날씨 좋다'],
          fontPx: 38,
        },
        {
          cx: 800,
          cy: 140,
          rx: 190,
          ry: 95,
          tail: [690, 300],
          lines: ['Hello there!', 'Nice weather.'],
          fontPx: 34,
        },
      ],
      sfx: [],
      format: 'png',
    },
    {
      name: 'panel-02-screentone',
      width: 1024,
      height: 1024,
      background: 'screentone',
      characters: [character(420, 300, 92, 'short', 'arms-down')],
      bubbles: [
        {
          cx: 790,
          cy: 190,
          rx: 200,
          ry: 130,
          tail: [560, 330],
          lines: ['잠깐만!', 'Wait a second,', '어디 가?'],
          fontPx: 36,
        },
      ],
      sfx: [{ x: 640, y: 900, text: '쾅!', fontPx: 150, rotateDeg: -12, fill: '#ffffff' }],
      format: 'jpeg',
    },
    {
      name: 'panel-03-two-characters',
      width: 1024,
      height: 1024,
      background: 'gradient',
      characters: [
        character(300, 340, 80, 'ponytail', 'arms-down'),
        character(730, 320, 84, 'short', 'wave'),
      ],
      bubbles: [
        {
          cx: 230,
          cy: 150,
          rx: 190,
          ry: 100,
          tail: [290, 320],
          lines: ['같이 가자', "Let's go together"],
          fontPx: 30,
        },
        { cx: 790, cy: 130, rx: 180, ry: 90, tail: [740, 300], lines: ['좋아!', 'Sure!'], fontPx: 36 },
      ],
      sfx: [],
      format: 'png',
    },
    {
      name: 'panel-04-webtoon-tall',
      width: 720,
      height: 1600,
      background: 'flat',
      characters: [character(360, 700, 90, 'long', 'arms-up')],
      bubbles: [
        {
          cx: 360,
          cy: 170,
          rx: 260,
          ry: 110,
          tail: [330, 300],
          lines: ['드디어 찾았다!', 'Finally found it!'],
          fontPx: 36,
        },
        {
          cx: 360,
          cy: 470,
          rx: 250,
          ry: 70,
          tail: [360, 470],
          lines: ['그날 오후...', 'That afternoon...'],
          fontPx: 30,
          shape: 'box',
        },
      ],
      sfx: [{ x: 60, y: 1500, text: 'WHOOSH', fontPx: 110, rotateDeg: -6, fill: '#f2c14e' }],
      format: 'jpeg',
    },
    {
      name: 'panel-05-speedlines-sfx',
      width: 1024,
      height: 1024,
      background: 'speedlines',
      characters: [character(512, 300, 90, 'ponytail', 'arms-up')],
      bubbles: [
        { cx: 210, cy: 150, rx: 180, ry: 100, tail: [380, 330], lines: ['으아아!', 'Look out!'], fontPx: 36 },
      ],
      sfx: [{ x: 560, y: 220, text: 'BOOM!', fontPx: 130, rotateDeg: 8, fill: '#e63946' }],
      format: 'jpeg',
    },
    {
      name: 'panel-06-night',
      width: 1024,
      height: 1024,
      background: 'night',
      characters: [character(380, 330, 86, 'short', 'arms-down')],
      bubbles: [
        {
          cx: 780,
          cy: 200,
          rx: 210,
          ry: 120,
          tail: [520, 380],
          lines: ['별이 참 예쁘네', 'The stars are', 'beautiful.'],
          fontPx: 32,
        },
      ],
      sfx: [],
      format: 'png',
    },
  ];
}

function svgDocument(spec: PanelSpec, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${spec.width}" height="${spec.height}" viewBox="0 0 ${spec.width} ${spec.height}">${body}</svg>`;
}

/** Renders a white-on-black SVG layer and thresholds it to a 0/255 mask. */
async function renderMask(spec: PanelSpec, body: string): Promise<GrayImage> {
  const rgb = await renderSvgToRgb(
    svgDocument(spec, `<rect width="100%" height="100%" fill="#000"/>${body}`),
  );
  const data = new Uint8Array(spec.width * spec.height);
  for (let i = 0; i < data.length; i++) data[i] = (rgb.data[i * 3] as number) >= 96 ? 255 : 0;
  return { width: spec.width, height: spec.height, data };
}

/** Tight box of the non-zero pixels of a mask (undefined when empty). */
export function maskBounds(mask: GrayImage): Box | undefined {
  let x0 = mask.width;
  let y0 = mask.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < mask.height; y++) {
    for (let x = 0; x < mask.width; x++) {
      if (!mask.data[y * mask.width + x]) continue;
      x0 = Math.min(x0, x);
      x1 = Math.max(x1, x);
      y0 = Math.min(y0, y);
      y1 = Math.max(y1, y);
    }
  }
  return x1 < 0 ? undefined : { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

async function drawPanel(spec: PanelSpec, seed: number): Promise<SyntheticPanel> {
  const random = seededRandom(seed);
  const background = backgroundSvg(spec.background, spec.width, spec.height, random);
  const art = [
    background,
    ...spec.characters.map((c) => characterSvg(c)),
    ...spec.bubbles.map(bubbleSvg),
  ].join('');
  const text = [...spec.bubbles.map((b) => bubbleTextSvg(b)), ...spec.sfx.map((s) => sfxSvg(s))].join('');
  const textSilhouette = [
    ...spec.bubbles.map((b) => bubbleTextSvg(b, true)),
    ...spec.sfx.map((s) => sfxSvg(s, true)),
  ];
  // Bubbles are drawn over characters, so the visible character is its silhouette minus the bubbles.
  const bubbleCover = spec.bubbles
    .map(bubbleSvg)
    .join('')
    .replace(/fill="#[0-9a-f]+"/g, 'fill="#000"');
  const perCharacter = await Promise.all(
    spec.characters.map((c) =>
      renderMask(spec, characterSvg(c, true) + bubbleCover.replace(/stroke="#111"/g, 'stroke="#000"')),
    ),
  );
  const [image, clean, textMask] = await Promise.all([
    renderSvgToRgb(svgDocument(spec, art + text)),
    renderSvgToRgb(svgDocument(spec, art)),
    renderMask(spec, textSilhouette.join('')),
  ]);
  const characterMask: GrayImage = {
    width: spec.width,
    height: spec.height,
    data: new Uint8Array(spec.width * spec.height),
  };
  for (const mask of perCharacter)
    for (let i = 0; i < mask.data.length; i++) if (mask.data[i]) characterMask.data[i] = 255;
  const characterBoxes = perCharacter.map((m) => maskBounds(m)).filter((b): b is Box => b !== undefined);
  const textLines = await Promise.all(
    [
      ...spec.bubbles.flatMap((b) =>
        b.lines.map((line) => ({
          text: line,
          svg: bubbleTextSvg({ ...b, lines: onlyLine(b.lines, line) }, true),
        })),
      ),
      ...spec.sfx.map((s) => ({ text: s.text, svg: sfxSvg(s, true) })),
    ].map(async ({ text, svg }) => ({ text, pixels: maskPixels(await renderMask(spec, svg)) })),
  );
  return {
    name: spec.name,
    format: spec.format,
    image,
    clean,
    textMask,
    characterMask,
    characterBoxes,
    textLines,
  };
}

/** The bubble's lines with every other line blanked (keeps the line's position). */
function onlyLine(lines: readonly string[], keep: string): string[] {
  return lines.map((line) => (line === keep ? line : ''));
}

function maskPixels(mask: GrayImage): Uint32Array {
  const out: number[] = [];
  for (let i = 0; i < mask.data.length; i++) if (mask.data[i]) out.push(i);
  return Uint32Array.from(out);
}

/** Draws the whole synthetic set (6 panels, ~1024 px; one 720x1600 webtoon strip). Deterministic per seed. */
export async function drawPanels(seed = 7): Promise<SyntheticPanel[]> {
  const specs = panelSpecs(seed);
  return Promise.all(specs.map((spec, i) => drawPanel(spec, seed * 1000 + i)));
}

/**
 * A long webtoon strip (600 x 7200 px, 12:1) with speech bubbles spread down it, two of them across
 * the detector's tile edges (text-tiles.ts: 600 px tiles every 450 px). Not part of the ~1024 px set.
 */
export async function drawWebtoonStrip(seed = 7): Promise<SyntheticPanel> {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const texts = [
    ['어디 있었어?', 'Where were you?'],
    ['미안해, 늦었어', 'Sorry, I am late'],
    ['괜찮아', "It's fine"],
    ['가자!', "Let's go!"],
    ['잠깐만', 'Hold on'],
  ];
  const bubbleYs = [260, 1040, 1500, 4000, 6800];
  const spec: PanelSpec = {
    name: 'strip-01-webtoon-long',
    width: 600,
    height: 7200,
    background: 'flat',
    characters: [1900, 4400, 5600].map((top, i) => ({
      cx: 300,
      top,
      headR: 70,
      hair: (['long', 'short', 'ponytail'] as const)[i] ?? 'long',
      pose: (['wave', 'arms-down', 'arms-up'] as const)[i] ?? 'wave',
      hairColour: pick(HAIR),
      eyeColour: pick(EYES),
      shirtColour: pick(SHIRTS),
    })),
    bubbles: bubbleYs.map((cy, i) => ({
      cx: 300,
      cy,
      rx: 230,
      ry: 95,
      tail: [300 + (i % 2 ? 120 : -120), cy + 160] as const,
      lines: texts[i] ?? [],
      fontPx: 32,
    })),
    sfx: [],
    format: 'jpeg',
  };
  return drawPanel(spec, seed * 1000 + 99);
}

/** Writes each panel with text to `dir` (PNG or JPEG q88) and returns the file paths. */
export async function writePanelImages(panels: readonly SyntheticPanel[], dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  return Promise.all(
    panels.map(async (panel) => {
      const path = join(dir, `${panel.name}.${panel.format === 'png' ? 'png' : 'jpg'}`);
      if (panel.format === 'png') await encodePng(panel.image, path, 9);
      else await encodeJpeg(panel.image, path, 88);
      return path;
    }),
  );
}

/** Writes clean images, masks and boxes.json (the ground truth) to `dir`. */
export async function writeGroundTruth(panels: readonly SyntheticPanel[], dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await Promise.all(
    panels.flatMap((p) => [
      encodePng(p.clean, join(dir, `${p.name}.clean.png`)),
      encodePng(p.textMask, join(dir, `${p.name}.text-mask.png`)),
      encodePng(p.characterMask, join(dir, `${p.name}.character-mask.png`)),
    ]),
  );
  const boxes = Object.fromEntries(
    panels.map((p) => [
      p.name,
      { characterBoxes: p.characterBoxes, textLines: p.textLines.map((l) => l.text) },
    ]),
  );
  const note = 'generated by scripts/draw-panels.ts, do not edit';
  await writeFile(join(dir, 'boxes.json'), `${JSON.stringify({ note, panels: boxes }, null, 2)}\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  const outIndex = argv.indexOf('--out');
  const gtIndex = argv.indexOf('--ground-truth');
  const seedIndex = argv.indexOf('--seed');
  const out = outIndex >= 0 ? (argv[outIndex + 1] ?? 'examples/screens') : 'examples/screens';
  const seed = seedIndex >= 0 ? Number(argv[seedIndex + 1]) : 7;
  const panels = await drawPanels(seed);
  const paths = await writePanelImages(panels, out);
  for (const path of paths) console.log(path);
  if (gtIndex >= 0) {
    const dir = argv[gtIndex + 1] ?? 'panels-ground-truth';
    await writeGroundTruth(panels, dir);
    console.log(`ground truth -> ${dir}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

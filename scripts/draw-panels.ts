// scripts/draw-panels.ts — draws the synthetic manga / webtoon panels (seeded, deterministic) with
// their ground truth: the same art without text, the text mask, the character mask and the character
// boxes. `npm run examples` writes the with-text panels to examples/screens/ (the bundled demo input);
// `--ground-truth <dir>` also writes clean images, masks and boxes.json there; `--help` lists the options.
// Tests call drawPanels().
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Box, GrayImage, RgbImage } from '../src/vision/image.js';
import { encodeJpeg, encodePng, renderSvgToRgb } from '../src/vision/sharp-io.js';
import { backgroundSvg, bubbleSvg, bubbleTextSvg, characterSvg, seededRandom, sfxSvg } from './panel-art.js';
import { type PanelSpec, panelSpecs, webtoonStripSpec } from './panel-specs.js';

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
  return drawPanel(webtoonStripSpec(seed), seed * 1000 + 99);
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

const USAGE = `Usage: npx tsx scripts/draw-panels.ts [--out <dir>] [--seed <n>] [--ground-truth <dir>]

Draws the synthetic panels (seeded, deterministic) and writes them as PNG / JPEG files.
  --out <dir>           where the panels go (default examples/screens, relative to the current folder;
                        with the default seed this rewrites the bundled examples identically)
  --seed <n>            a non-negative integer (default 7)
  --ground-truth <dir>  also write the clean images, masks and boxes.json there
  -h, --help            print this and exit`;

/** A command-line mistake: printed with a pointer to --help, exit 2. */
class UsageError extends Error {}

export interface DrawPanelsOptions {
  out: string;
  seed: number;
  groundTruth?: string;
}

/** The options, or 'help'; throws UsageError on an unknown option, a missing value or a bad seed. */
export function parseDrawPanelsArgs(argv: readonly string[]): DrawPanelsOptions | 'help' {
  let values: { out?: string; seed?: string; 'ground-truth'?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        'ground-truth': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const seedText = values.seed ?? '7';
  if (!/^\d+$/.test(seedText) || !Number.isSafeInteger(Number(seedText))) {
    throw new UsageError(`--seed: expected a non-negative integer, got '${seedText}'`);
  }
  return {
    out: values.out ?? 'examples/screens',
    seed: Number(seedText),
    ...(values['ground-truth'] === undefined ? {} : { groundTruth: values['ground-truth'] }),
  };
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseDrawPanelsArgs(argv);
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const panels = await drawPanels(options.seed);
  const paths = await writePanelImages(panels, options.out);
  for (const path of paths) console.log(path);
  if (options.groundTruth !== undefined) {
    await writeGroundTruth(panels, options.groundTruth);
    console.log(`ground truth -> ${options.groundTruth}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    if (error instanceof UsageError) console.error('(--help lists the options)');
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}

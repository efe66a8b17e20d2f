// bench/prep-bench-sides.ts — the two sides bench/prep-speed.ts times image by image: toonlora's
// TypeScript prep stages, run as src/prep/analyse-file.ts runs them (decode, text detection, detections
// on art refused, text removal, classic segmentation minus speech bubbles with touching figures cut
// apart, the character less bubble leftovers and panels, its crop with the other characters, bubbles
// and removed text painted over), and the
// Python reference (bench/prep_reference.py --serve, a child process answering one image per request).
// Each run gives per-stage ms, the text boxes and the character box, and on request its text and
// character masks (for the parity check in prep-bench-report.ts).
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pickCharacters, resizeCrop } from '../src/prep/analyse-file.js';
import { removeTextBubblesWithInteriors } from '../src/prep/bubble-mask.js';
import { computeCropBox, cutSquare } from '../src/prep/crop-box.js';
import { decodeImage } from '../src/prep/decode.js';
import { findMaskContours } from '../src/prep/mask-contours.js';
import { createClassicSegmenter, morphologyKernelPx } from '../src/prep/segment-classic.js';
import { splitTouchingFigures } from '../src/prep/split-figures.js';
import type { TextRegion } from '../src/prep/stage-types.js';
import { createPaddleTextDetector, defaultPaddleDetModelPath } from '../src/prep/text-detect-paddle.js';
import { splitPlausibleText } from '../src/prep/text-plausible.js';
import { createOpenCvTextRemover } from '../src/prep/text-remove.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import type { Box, GrayImage } from '../src/vision/image.js';

export const STAGES = ['decode', 'detect', 'remove', 'segment', 'crop'] as const;
export type Stage = (typeof STAGES)[number];
export type StageMs = Record<Stage, number>;
/** The detect stage by part: resize + normalise, the ONNX run, DB post-processing. */
export const DETECT_PARTS = ['prepare', 'network', 'postprocess'] as const;
export type DetectParts = Record<(typeof DETECT_PARTS)[number], number>;
export type Polygon = readonly (readonly number[])[];

/** A stage mask as set / unset pixels (row-major), for comparing the two sides. */
export interface BitMask {
  readonly width: number;
  readonly height: number;
  readonly set: (i: number) => boolean;
}

/** The masks a run compares: the pixels text removal filled, and the character mask the crop reads
 * (bubble leftovers out: crop-clutter.ts). */
export interface RunMasks {
  readonly text: BitMask;
  readonly character: BitMask;
}

export interface ImageRun {
  ms: StageMs;
  detectParts: DetectParts;
  polygons: Polygon[];
  /** The character's box (largest mask contour that is no bubble or panel) the crop is built around; null when none. */
  character: Box | null;
  /** Only when asked for (the warm-up round); made after the clock stops. */
  masks?: RunMasks;
}

/** Times every stage on one image; `withMasks` also returns the stage masks (untimed). */
export type RunImage = (path: string, withMasks?: boolean) => Promise<ImageRun>;

/** The repository root (this file is bench/prep-bench-sides.ts), so the bench runs from any folder. */
export const REPO = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = join(REPO, 'trainer/.venv/bin/python');
const PYTHON_REFERENCE = join(REPO, 'bench/prep_reference.py');
/** mask > this is set, as src/prep/mask-contours.ts MASK_THRESHOLD. */
const SET_ABOVE = 127;

const grayBits = (mask: GrayImage): BitMask => ({
  width: mask.width,
  height: mask.height,
  set: (i) => (mask.data[i] as number) > SET_ABOVE,
});

/** The TypeScript stages, opened once; `run` times every stage on one image. */
export async function openTypeScript(): Promise<{ run: RunImage; setupMs: number }> {
  const prep = prepConfigSchema.parse({});
  const start = performance.now();
  const parts: DetectParts = { prepare: 0, network: 0, postprocess: 0 };
  const detector = await createPaddleTextDetector({
    onTimings: (t) => {
      for (const part of DETECT_PARTS) parts[part] += t[part];
    },
  });
  const remover = await createOpenCvTextRemover({
    dilatePx: prep.textDilatePx,
    inpaintRadius: prep.inpaintRadius,
  });
  const segmenter = createClassicSegmenter();
  const setupMs = performance.now() - start;
  const run: RunImage = async (path, withMasks = false) => {
    for (const part of DETECT_PARTS) parts[part] = 0;
    const t0 = performance.now();
    const image = await decodeImage(path, { maxPixels: prep.maxInputPixels });
    const t1 = performance.now();
    const regions: TextRegion[] = await detector.detect(image);
    const t2 = performance.now();
    // as src/prep/analyse-file.ts: a "text line" on a face, legs or hatching is art, left in the image
    const { text } = splitPlausibleText(image, regions);
    const { image: clean, mask: textMask } = await remover.remove(image, text);
    const t3 = performance.now();
    // as src/prep/analyse-file.ts findCharacters segments: the segmenter's mask minus the speech
    // bubbles, then touching figures cut apart (split-figures.ts)
    const raw = await segmenter.segment(clean);
    const outlinePx = morphologyKernelPx(raw.width, raw.height) * 2 + 1;
    const { mask: bubbleFree, interiors } = await removeTextBubblesWithInteriors(
      raw,
      clean,
      textMask,
      outlinePx,
    );
    const { mask: split } = await splitTouchingFigures(bubbleFree);
    const t4 = performance.now();
    // as findCharacters picks and analyse-file.ts crops (`largest`): no bubble (white, or a cleared
    // bubble's outline / tail) or panel; the bubbles whole leave the mask; the square with the other
    // characters, the bubbles and the removed text painted over, resized
    const found = await findMaskContours(split);
    const segmentation = { image: clean, raw, interiors, split, textMask, outlinePx };
    const { boxes, mask, isolate } = await pickCharacters(found, segmentation, 'largest');
    const character = boxes[0];
    if (character) {
      const cropBox = computeCropBox(character, prep.cropMargin, clean);
      const square = cutSquare(clean, cropBox);
      await resizeCrop(isolate ? isolate(0, square, cropBox) : square, prep.resolution);
    }
    const t5 = performance.now();
    const ms = { decode: t1 - t0, detect: t2 - t1, remove: t3 - t2, segment: t4 - t3, crop: t5 - t4 };
    return {
      ms,
      detectParts: { ...parts },
      polygons: regions.map((r) => r.polygon),
      character: character ?? null,
      ...(withMasks ? { masks: { text: grayBits(textMask), character: grayBits(mask) } } : {}),
    };
  };
  return { run, setupMs };
}

export interface PythonServer {
  run: RunImage;
  versions: Record<string, string>;
  close: () => void;
}

/** A mask prep_reference.py sent: np.packbits of mask > 127 (most significant bit first), base64. */
function unpackMask(packed: { width: number; height: number; bits: string }): BitMask {
  const bytes = Buffer.from(packed.bits, 'base64');
  return {
    width: packed.width,
    height: packed.height,
    set: (i) => (((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1) === 1,
  };
}

/** What sets up the Python reference's packages (opencv, onnxruntime: trainer/requirements-dev.txt). */
export const PYTHON_REFERENCE_SETUP = './toonlora setup --dev';

/**
 * Why the Python reference could not start, from the last lines of its stderr; a missing module (a venv made by a
 * plain `toonlora setup`, as the demo makes it) names the command that installs the reference's packages.
 */
export function pythonReferenceExitMessage(stderr: string): string {
  const last = stderr.trim().split('\n').slice(-3).join(' ');
  const fix = /ModuleNotFoundError|No module named/.test(stderr)
    ? `. Its packages (opencv, onnxruntime) come with \`${PYTHON_REFERENCE_SETUP}\`; run it, or pass --no-python`
    : '';
  return `Python reference exited: ${last}${fix}`;
}

/** Starts bench/prep_reference.py --serve; resolves once its model is loaded (or to why it could not start). */
export async function openPython(): Promise<PythonServer | string> {
  if (!existsSync(PYTHON))
    return `${PYTHON} not found: run \`${PYTHON_REFERENCE_SETUP}\`, or pass --no-python`;
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, [
    PYTHON_REFERENCE,
    '--serve',
    '--model',
    defaultPaddleDetModelPath(),
  ]);
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done) throw new Error(pythonReferenceExitMessage(stderr));
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  try {
    const hello = await next();
    return {
      versions: hello.versions as Record<string, string>,
      run: async (path, withMasks = false) => {
        child.stdin.write(`${withMasks ? JSON.stringify({ path, masks: true }) : path}\n`);
        const answer = await next();
        const boxes = answer.boxes as { polygon: number[][] }[];
        const c = answer.character as [number, number, number, number] | null;
        const character = c ? { x: c[0], y: c[1], width: c[2], height: c[3] } : null;
        const ms = answer.ms as Record<string, number>;
        const detectParts = Object.fromEntries(
          DETECT_PARTS.map((part) => [part, ms[`detect.${part}`] ?? 0]),
        ) as DetectParts;
        const sent = answer.masks as Record<keyof RunMasks, Parameters<typeof unpackMask>[0]> | undefined;
        return {
          ms: ms as StageMs,
          detectParts,
          polygons: boxes.map((b) => b.polygon),
          character,
          ...(sent ? { masks: { text: unpackMask(sent.text), character: unpackMask(sent.character) } } : {}),
        };
      },
      close: () => child.stdin.end(),
    };
  } catch (error) {
    child.kill();
    return (error as Error).message;
  }
}

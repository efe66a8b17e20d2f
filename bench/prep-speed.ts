// bench/prep-speed.ts — `npm run bench:prep`: per-stage milliseconds per image and images/s of the
// prep front half (decode, PaddleOCR text detection, text removal, classic segmentation, crop) over
// the bundled synthetic panels, and the same stages run by the Python reference
// (bench/prep_reference.py: opencv-python + onnxruntime, same model and sizes) in the same run, as a
// ratio. Also checks that both sides find the same text boxes (mean IoU), so the speed comparison is
// between equivalent work. Options: --rounds N (default 3), --json, --no-python.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { drawPanels, writePanelImages } from '../scripts/draw-panels.js';
import { computeCropBox, cutSquare } from '../src/prep/crop-box.js';
import { decodeImage } from '../src/prep/decode.js';
import { findMaskContours, selectCharacterContours } from '../src/prep/mask-contours.js';
import { createClassicSegmenter } from '../src/prep/segment-classic.js';
import type { TextRegion } from '../src/prep/stage-types.js';
import { createPaddleTextDetector, defaultPaddleDetModelPath } from '../src/prep/text-detect-paddle.js';
import { createOpenCvTextRemover } from '../src/prep/text-remove.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import { resizeRgb } from '../src/vision/sharp-io.js';

const STAGES = ['decode', 'detect', 'remove', 'segment', 'crop'] as const;
type Stage = (typeof STAGES)[number];
type StageMs = Record<Stage, number>;
const TARGET_IMAGES_PER_S = 2;
const PYTHON = 'trainer/.venv/bin/python';

async function benchImages(): Promise<string[]> {
  const dir = 'examples/screens';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f)) : [];
  if (files.length > 0) return files.sort().map((f) => resolve(dir, f));
  const tmp = await mkdtemp(join(tmpdir(), 'toonlora-bench-'));
  return writePanelImages(await drawPanels(), tmp);
}

interface TsPipeline {
  pass(paths: readonly string[]): Promise<{ perImage: StageMs; boxes: Map<string, TextRegion[]> }>;
  setupMs: number;
}

async function openTypeScript(): Promise<TsPipeline> {
  const prep = prepConfigSchema.parse({});
  const setupStart = performance.now();
  const detector = await createPaddleTextDetector();
  const remover = await createOpenCvTextRemover({
    dilatePx: prep.textDilatePx,
    inpaintRadius: prep.inpaintRadius,
  });
  const segmenter = createClassicSegmenter();
  const setupMs = performance.now() - setupStart;
  /** One pass over every image; per-stage mean ms per image. */
  const pass = async (paths: readonly string[]) => {
    const totals: StageMs = { decode: 0, detect: 0, remove: 0, segment: 0, crop: 0 };
    const boxes = new Map<string, TextRegion[]>();
    for (const path of paths) {
      const t0 = performance.now();
      const image = await decodeImage(path, { maxPixels: prep.maxInputPixels });
      const t1 = performance.now();
      const regions = await detector.detect(image);
      const t2 = performance.now();
      const { image: clean } = await remover.remove(image, regions);
      const t3 = performance.now();
      const mask = await segmenter.segment(clean);
      const t4 = performance.now();
      const [character] = selectCharacterContours(await findMaskContours(mask), 'largest');
      if (character) {
        const square = cutSquare(clean, computeCropBox(character.box, prep.cropMargin));
        await resizeRgb(square, prep.resolution, prep.resolution);
      }
      const t5 = performance.now();
      boxes.set(path, regions);
      const times = [t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4];
      STAGES.forEach((stage, i) => {
        totals[stage] += (times[i] as number) / paths.length;
      });
    }
    return { perImage: totals, boxes };
  };
  return { pass, setupMs };
}

/** Per-stage median over rounds (robust to other processes sharing the 2 cores). */
function medianStages(rounds: readonly StageMs[]): StageMs {
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2
      ? (sorted[mid] as number)
      : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  };
  return Object.fromEntries(STAGES.map((s) => [s, median(rounds.map((r) => r[s]))])) as StageMs;
}

interface PythonResult {
  msPerImage: StageMs;
  boxes: Record<string, { polygon: number[][]; score: number }[]>;
  versions: Record<string, string>;
}

/** One Python run: loads the model, warms up with one pass, times one pass. */
async function runPython(paths: readonly string[]): Promise<PythonResult | string> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (create trainer/.venv with requirements-dev.txt)`;
  const args = ['bench/prep_reference.py', '--model', defaultPaddleDetModelPath(), '--repeats', '1'];
  try {
    const { stdout } = await promisify(execFile)(PYTHON, [...args, ...paths], { maxBuffer: 64 << 20 });
    return JSON.parse(stdout) as PythonResult;
  } catch (error) {
    return `Python reference failed: ${(error as Error).message.split('\n').slice(0, 3).join(' ')}`;
  }
}

type Rect = { x0: number; y0: number; x1: number; y1: number };
const rectOf = (points: readonly (readonly number[])[]): Rect => {
  const xs = points.map((p) => p[0] as number);
  const ys = points.map((p) => p[1] as number);
  return { x0: Math.min(...xs), y0: Math.min(...ys), x1: Math.max(...xs), y1: Math.max(...ys) };
};
function iou(a: Rect, b: Rect): number {
  const w = Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0));
  const h = Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - w * h;
  return union > 0 ? (w * h) / union : 0;
}

/** Box agreement between the two implementations: counts and the mean best IoU of each TS box. */
function compareBoxes(ts: Map<string, TextRegion[]>, py: PythonResult['boxes']) {
  let tsCount = 0;
  let pyCount = 0;
  let iouSum = 0;
  for (const [path, regions] of ts) {
    const theirs = (py[path] ?? []).map((r) => rectOf(r.polygon));
    tsCount += regions.length;
    pyCount += theirs.length;
    for (const region of regions) {
      const mine = rectOf(region.polygon);
      iouSum += Math.max(0, ...theirs.map((t) => iou(mine, t)));
    }
  }
  return { tsCount, pyCount, meanIou: tsCount ? iouSum / tsCount : 0 };
}

const fmt = (ms: number) => ms.toFixed(1).padStart(8);

async function main(argv: readonly string[]): Promise<void> {
  const roundsIndex = argv.indexOf('--rounds');
  const repeats = roundsIndex >= 0 ? Math.max(1, Number(argv[roundsIndex + 1])) : 3;
  const json = argv.includes('--json');
  const withPython = !argv.includes('--no-python');
  const paths = await benchImages();
  const loadBefore = loadavg()[0] as number;
  const pipeline = await openTypeScript();
  const warm = await pipeline.pass(paths); // JIT, WASM heap, ORT arenas; not counted
  // Rounds alternate TS and Python so both see the same background load.
  const tsRounds: StageMs[] = [];
  const pyRounds: PythonResult[] = [];
  let pyError: string | undefined = withPython ? undefined : 'skipped (--no-python)';
  for (let round = 0; round < repeats; round++) {
    tsRounds.push((await pipeline.pass(paths)).perImage);
    if (pyError) continue;
    const result = await runPython(paths);
    if (typeof result === 'string') pyError = result;
    else pyRounds.push(result);
  }
  const loadAfter = loadavg()[0] as number;
  const ts = { perImage: medianStages(tsRounds), boxes: warm.boxes, setupMs: pipeline.setupMs };
  const py: PythonResult | string = pyError ?? {
    ...(pyRounds[0] as PythonResult),
    msPerImage: medianStages(pyRounds.map((r) => r.msPerImage)),
  };
  const tsTotal = STAGES.reduce((sum, s) => sum + ts.perImage[s], 0);
  const pyTotal = typeof py === 'string' ? undefined : STAGES.reduce((sum, s) => sum + py.msPerImage[s], 0);
  const boxes = typeof py === 'string' ? undefined : compareBoxes(ts.boxes, py.boxes);
  const result = {
    images: paths.length,
    rounds: repeats,
    loadAverage1m: { before: loadBefore, after: loadAfter },
    typescript: {
      msPerImage: ts.perImage,
      totalMs: tsTotal,
      imagesPerS: 1000 / tsTotal,
      setupMs: ts.setupMs,
    },
    python:
      typeof py === 'string'
        ? { error: py }
        : { msPerImage: py.msPerImage, totalMs: pyTotal, versions: py.versions },
    speedRatio: pyTotal ? pyTotal / tsTotal : undefined,
    boxes,
    targets: {
      imagesPerS: { target: TARGET_IMAGES_PER_S, met: 1000 / tsTotal >= TARGET_IMAGES_PER_S },
      notSlowerThanPython: pyTotal ? { met: tsTotal <= pyTotal } : undefined,
    },
  };
  if (json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  console.log(
    `prep speed: ${paths.length} panels (~1024 px), median of ${repeats} rounds (TS pass, then Python pass) after a warm-up; ` +
      `${cpus().length} cores, 1-min load ${loadBefore.toFixed(1)} -> ${loadAfter.toFixed(1)}`,
  );
  console.log(`stage       TS ms/img  Py ms/img   Py/TS`);
  for (const stage of STAGES) {
    const p = typeof py === 'string' ? undefined : py.msPerImage[stage];
    const ratio = p === undefined ? '' : (p / ts.perImage[stage]).toFixed(2).padStart(8);
    console.log(
      `${stage.padEnd(10)}${fmt(ts.perImage[stage])}  ${p === undefined ? '       -' : fmt(p)}${ratio}`,
    );
  }
  console.log(`${'total'.padEnd(10)}${fmt(tsTotal)}  ${pyTotal === undefined ? '       -' : fmt(pyTotal)}`);
  console.log(
    `TypeScript: ${(1000 / tsTotal).toFixed(2)} images/s (target >= ${TARGET_IMAGES_PER_S}: ${result.targets.imagesPerS.met ? 'met' : 'NOT met'}); model + OpenCV load ${ts.setupMs.toFixed(0)} ms once`,
  );
  if (typeof py === 'string') console.log(`Python reference: ${py}`);
  else {
    console.log(
      `Python reference: ${(1000 / (pyTotal as number)).toFixed(2)} images/s; TS is ${(result.speedRatio as number).toFixed(2)}x the Python speed (${tsTotal <= (pyTotal as number) ? 'not slower: met' : 'slower: NOT met'})`,
    );
    console.log(
      `text boxes: TS ${boxes?.tsCount}, Python ${boxes?.pyCount}, mean IoU ${boxes?.meanIou.toFixed(3)}`,
    );
    console.log(
      "note: Python segments with cv2.floodFill (C++); TS runs the project's classic segmenter (JS flood fill with gradient tolerance + OpenCV morphology)",
    );
  }
}

main(process.argv.slice(2)).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

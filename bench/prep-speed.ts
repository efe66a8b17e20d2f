// bench/prep-speed.ts — `npm run bench:prep`: per-stage milliseconds per image and images/s of the
// prep front half (decode, PaddleOCR text detection, text removal, classic segmentation minus speech
// bubbles, crop) over
// the bundled synthetic panels, and the same stages run by the Python reference
// (bench/prep_reference.py: opencv-python + onnxruntime, same model, sizes and session settings) in
// the same run, as a ratio. The two alternate image by image (Python runs as a child process that
// answers one image per request), so both see the same background load on a shared machine. Also
// checks that both sides find the same text boxes (mean IoU), so the comparison is between equivalent
// work. Then throughput: the panels repeated, analysed as `prep --workers auto` does here (on 2
// cores: the run thread, several files at once, networks on inference threads; with more cores:
// analysis workers; src/prep/analysis-pool.ts), starting its threads and opening their models
// included, against one file at a time, two analysis workers, and the Python reference on the same
// files one after the other. Options (`--help`): --rounds N (default 3; the median round counts),
// --copies N (throughput run = the panels x N, default 8), --json, --no-python (TypeScript only).
// Paths (the panels, the Python venv, prep_reference.py) are taken from the repository this file is
// in, so it runs from any folder.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { drawPanels, writePanelImages } from '../scripts/draw-panels.js';
import { computeCropBox, cutSquare } from '../src/prep/crop-box.js';
import { decodeImage } from '../src/prep/decode.js';
import {
  BUBBLE_WHITE_FRACTION,
  findMaskContours,
  selectCharacterContours,
  whiteFractionWithin,
} from '../src/prep/mask-contours.js';
import { removeTextBubbles } from '../src/prep/bubble-mask.js';
import { createClassicSegmenter, morphologyKernelPx } from '../src/prep/segment-classic.js';
import type { TextRegion } from '../src/prep/stage-types.js';
import { createPaddleTextDetector, defaultPaddleDetModelPath } from '../src/prep/text-detect-paddle.js';
import { createOpenCvTextRemover } from '../src/prep/text-remove.js';
import { analyseFile, resizeCrop } from '../src/prep/analyse-file.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import { inThreadAnalyser, OrderedAnalysis } from '../src/prep/analysis-pool.js';
import { planAnalysisThreads, startAnalysisThreads, type ThreadPlan } from '../src/prep/analysis-threads.js';
import { loadAnalysisStages } from '../src/prep/stage-registry.js';
import type { Box } from '../src/vision/image.js';

const STAGES = ['decode', 'detect', 'remove', 'segment', 'crop'] as const;
type Stage = (typeof STAGES)[number];
type StageMs = Record<Stage, number>;
/** The detect stage by part: resize + normalise, the ONNX run, DB post-processing. */
const DETECT_PARTS = ['prepare', 'network', 'postprocess'] as const;
type DetectParts = Record<(typeof DETECT_PARTS)[number], number>;
type Polygon = readonly (readonly number[])[];
interface ImageRun {
  ms: StageMs;
  detectParts: DetectParts;
  polygons: Polygon[];
  /** The character's box (largest mask contour) the crop is built around; null when none. */
  character: Box | null;
}
const TARGET_IMAGES_PER_S = 2;
const OPENCV_JS = '@techstark/opencv-js 4.12';

/** The installed onnxruntime-node version (package.json next to its entry point). */
function ortNodeVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const manifest = require('onnxruntime-node/package.json') as { version?: string };
    return manifest.version ?? '?';
  } catch {
    return '?';
  }
}
/** The repository root (this file is bench/prep-speed.ts), so the bench runs from any folder. */
const REPO = fileURLToPath(new URL('..', import.meta.url));
const PYTHON = join(REPO, 'trainer/.venv/bin/python');
const PYTHON_REFERENCE = join(REPO, 'bench/prep_reference.py');

export const USAGE = `Usage: npm run bench:prep -- [options]   (or: npx tsx bench/prep-speed.ts [options])

Per-stage ms per image of the prep front half over the bundled panels (examples/screens), against the
Python reference (bench/prep_reference.py in trainer/.venv), then throughput as \`prep --workers auto\`.

Options:
  --rounds N    timed rounds after a warm-up round; the median counts (default 3)
  --copies N    throughput run over the panels x N (default 8)
  --json        print the results as JSON instead of the table
  --no-python   TypeScript only (no Python reference, no ratios)
  -h, --help    print this and exit`;

export interface PrepBenchOptions {
  rounds: number;
  copies: number;
  json: boolean;
  python: boolean;
}

/** A command-line mistake: printed with a pointer to --help, exit 2. */
export class UsageError extends Error {}

function positiveInt(option: string, text: string): number {
  if (!/^\s*\d+\s*$/.test(text) || Number(text) < 1 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${option}: expected a positive integer, got '${text}'`);
  }
  return Number(text);
}

/** The options, or 'help' for --help; throws UsageError on an unknown option or a bad value. */
export function parsePrepArgs(argv: readonly string[]): PrepBenchOptions | 'help' {
  const options = {
    rounds: { type: 'string' },
    copies: { type: 'string' },
    json: { type: 'boolean' },
    'no-python': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  let values: ReturnType<typeof parseArgs<{ options: typeof options }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  return {
    rounds: values.rounds === undefined ? 3 : positiveInt('rounds', values.rounds),
    copies: values.copies === undefined ? 8 : positiveInt('copies', values.copies),
    json: values.json ?? false,
    python: !values['no-python'],
  };
}

/** The panels to time, and a cleanup that removes the temporary folder drawn ones were written to. */
async function benchImages(): Promise<{ paths: string[]; cleanup: () => Promise<void> }> {
  const dir = join(REPO, 'examples/screens');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(png|jpe?g)$/i.test(f)) : [];
  if (files.length > 0) return { paths: files.sort().map((f) => resolve(dir, f)), cleanup: async () => {} };
  const tmp = await mkdtemp(join(tmpdir(), 'toonlora-bench-'));
  return {
    paths: await writePanelImages(await drawPanels(), tmp),
    cleanup: () => rm(tmp, { recursive: true, force: true }),
  };
}

/** The TypeScript stages, opened once; `run` times every stage on one image. */
async function openTypeScript(): Promise<{ run: (path: string) => Promise<ImageRun>; setupMs: number }> {
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
  const run = async (path: string): Promise<ImageRun> => {
    for (const part of DETECT_PARTS) parts[part] = 0;
    const t0 = performance.now();
    const image = await decodeImage(path, { maxPixels: prep.maxInputPixels });
    const t1 = performance.now();
    const regions: TextRegion[] = await detector.detect(image);
    const t2 = performance.now();
    const { image: clean, mask: textMask } = await remover.remove(image, regions);
    const t3 = performance.now();
    // as src/prep/analyse-file.ts segments: the segmenter's mask minus the speech bubbles
    const raw = await segmenter.segment(clean);
    const mask = await removeTextBubbles(
      raw,
      clean,
      textMask,
      morphologyKernelPx(raw.width, raw.height) * 2 + 1,
    );
    const t4 = performance.now();
    const contours = (await findMaskContours(mask)).filter(
      (c) => whiteFractionWithin(clean, mask, c.box) <= BUBBLE_WHITE_FRACTION,
    );
    const [character] = selectCharacterContours(contours, 'largest');
    if (character) {
      // as src/prep/analyse-file.ts crops: cut the square (white padding), resize it
      await resizeCrop(
        cutSquare(clean, computeCropBox(character.box, prep.cropMargin, clean)),
        prep.resolution,
      );
    }
    const t5 = performance.now();
    const ms = { decode: t1 - t0, detect: t2 - t1, remove: t3 - t2, segment: t4 - t3, crop: t5 - t4 };
    return {
      ms,
      detectParts: { ...parts },
      polygons: regions.map((r) => r.polygon),
      character: character?.box ?? null,
    };
  };
  return { run, setupMs };
}

interface PythonServer {
  run: (path: string) => Promise<ImageRun>;
  versions: Record<string, string>;
  close: () => void;
}

/** Starts bench/prep_reference.py --serve; resolves once its model is loaded. */
async function openPython(): Promise<PythonServer | string> {
  if (!existsSync(PYTHON)) return `${PYTHON} not found (create trainer/.venv with requirements-dev.txt)`;
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
    if (line.done)
      throw new Error(`Python reference exited: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  try {
    const hello = await next();
    return {
      versions: hello.versions as Record<string, string>,
      run: async (path) => {
        child.stdin.write(`${path}\n`);
        const answer = await next();
        const boxes = answer.boxes as { polygon: number[][] }[];
        const c = answer.character as [number, number, number, number] | null;
        const character = c ? { x: c[0], y: c[1], width: c[2], height: c[3] } : null;
        const ms = answer.ms as Record<string, number>;
        const detectParts = Object.fromEntries(
          DETECT_PARTS.map((part) => [part, ms[`detect.${part}`] ?? 0]),
        ) as DetectParts;
        return { ms: ms as StageMs, detectParts, polygons: boxes.map((b) => b.polygon), character };
      },
      close: () => child.stdin.end(),
    };
  } catch (error) {
    child.kill();
    return (error as Error).message;
  }
}

interface Throughput {
  files: number;
  /** Analysis workers `prep --workers auto` uses for this many files here (1: the run thread). */
  analysers: number;
  /** Inference threads it uses then (0: none). */
  helpers: number;
  /** One file at a time on one thread, onnxruntime on every core. */
  oneThreadPerS: number;
  /** As `prep --workers auto` runs here, its threads' start (opening their models) included. */
  autoColdPerS: number;
  /** The same with its threads started and models opened beforehand, after a warm-up over the panels. */
  autoWarmPerS: number;
  /** Two analysis workers (`prep --workers 2`), their start included. */
  twoWorkersPerS: number;
  /** Python reference, one image after another (mean of passes before, between and after the TypeScript ones). */
  pythonPerS?: number;
}

/** Passes of each TypeScript throughput variant (the Python reference runs one more). */
const THROUGHPUT_ROUNDS = 2;

/** Seconds for `run` over every file, one after another. */
async function timeSequential(
  files: readonly string[],
  run: (path: string) => Promise<unknown>,
): Promise<number> {
  const start = performance.now();
  for (const file of files) await run(file);
  return (performance.now() - start) / 1000;
}

/** Files analysed as a prep run analyses them, on threads opened once. */
interface Lanes {
  analyse(files: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The throughput passes: the Python reference, then TypeScript one file at a time, as `prep
 * --workers auto` runs here (cold: starting its threads and opening their models in the timed part,
 * as a prep run does; warm: threads started and models opened before the clock and the panels
 * analysed once, as the Python reference's process and the one-at-a-time pass have), and with two
 * analysis workers (cold), then Python again. Stage work only (no PNG writing), as in the table.
 */
async function measureThroughput(
  files: readonly string[],
  panels: readonly string[],
  server: PythonServer | undefined,
): Promise<Throughput> {
  const config = prepConfigSchema.parse({});
  // the plan and threads `prep --workers auto` uses for this many files (src/prep/analysis-threads.ts)
  const { analysers, helpers } = planAnalysisThreads('auto', files.length);
  const spec = (threads: number) => ({
    config,
    saveStages: false,
    intraOpThreads: threads,
    segmenter: 'classic' as const,
    personDetectorModel: null,
    cache: {},
  });
  const single = await loadAnalysisStages(spec(0));
  await analyseFile(single, config, files[0] as string, false); // warm-up
  const oneAtATime = () => timeSequential(files, (f) => analyseFile(single, config, f, false));
  /** The threads of `plan`, started while this thread opens its stages, as runPrep does. */
  const open = async (plan: ThreadPlan): Promise<Lanes> => {
    const threads = startAnalysisThreads(plan);
    try {
      const here = await loadAnalysisStages(spec(threads.intraOpThreads)); // (with helpers: opens them there)
      for (const worker of threads.workers) worker.configure(spec(threads.intraOpThreads));
      return {
        // `list` in order through OrderedAnalysis, as runPrep does (its finishing left out)
        analyse: async (list) => {
          const analysis = new OrderedAnalysis(list, { window: threads.window });
          const working = threads.staff(analysis, inThreadAnalyser(here, config, false), (error) => {
            throw error;
          });
          for await (const _ of analysis.results()) {
            // consumed in order, as runPrep's finishing does
          }
          await working;
        },
        close: () => threads.close(),
      };
    } catch (error) {
      await threads.close();
      throw error;
    }
  };
  /** Seconds for `files` on lanes from `open`: cold = opening included; warm = after a warm-up over the panels. */
  const timed = async (open: () => Promise<Lanes>, warm: boolean): Promise<number> => {
    const opening = performance.now();
    const lanes = await open();
    try {
      if (warm) await lanes.analyse(panels);
      const start = warm ? performance.now() : opening;
      await lanes.analyse(files);
      return (performance.now() - start) / 1000;
    } finally {
      await lanes.close();
    }
  };
  const autoPass = (warm: boolean) =>
    analysers === 1 && helpers === 0 ? oneAtATime() : timed(() => open({ analysers, helpers }), warm);
  // Python, then (one at a time, auto cold, auto warm, two workers, Python) x THROUGHPUT_ROUNDS: every
  // figure is a mean over passes spread across the same minutes
  const python: number[] = [];
  const oneThread: number[] = [];
  const autoCold: number[] = [];
  const autoWarm: number[] = [];
  const twoWorkers: number[] = [];
  if (server) python.push(await timeSequential(files, server.run));
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    oneThread.push(await oneAtATime());
    autoCold.push(await autoPass(false));
    autoWarm.push(await autoPass(true));
    twoWorkers.push(await timed(() => open({ analysers: 2, helpers: 0 }), false));
    if (server) python.push(await timeSequential(files, server.run));
  }
  const perSecond = (seconds: number[]) =>
    files.length / (seconds.reduce((x, y) => x + y, 0) / seconds.length);
  return {
    files: files.length,
    analysers,
    helpers,
    oneThreadPerS: perSecond(oneThread),
    autoColdPerS: perSecond(autoCold),
    autoWarmPerS: perSecond(autoWarm),
    twoWorkersPerS: perSecond(twoWorkers),
    ...(python.length ? { pythonPerS: perSecond(python) } : {}),
  };
}

function printThroughput(t: Throughput, images: number): void {
  console.log(
    `\nthroughput over ${t.files} files (the ${images} panels x ${t.files / images}), each analysed whole as runPrep does it ` +
      '(the stages above plus dedupe hashes), no PNG writing:',
  );
  const autoWay =
    t.analysers > 1
      ? `${t.analysers} analysis workers`
      : t.helpers > 0
        ? `this thread, ${t.helpers + 1} files at once, networks on ${t.helpers} inference threads`
        : 'one file at a time';
  const vsOne = (perS: number) => `${(perS / t.oneThreadPerS).toFixed(2)}x one at a time`;
  const line = (label: string, perS: number, note = '') =>
    console.log(`  ${label.padEnd(64)} ${perS.toFixed(2)} images/s${note}`);
  line('TypeScript, one file at a time (warm, as the Python process)', t.oneThreadPerS);
  line('TypeScript, prep --workers auto, warm', t.autoWarmPerS, ` (${vsOne(t.autoWarmPerS)}; ${autoWay})`);
  line(
    'TypeScript, prep --workers auto, cold (threads + models opened)',
    t.autoColdPerS,
    ` (${vsOne(t.autoColdPerS)})`,
  );
  line('TypeScript, prep --workers 2, cold', t.twoWorkersPerS, ` (${vsOne(t.twoWorkersPerS)})`);
  if (t.pythonPerS === undefined) return;
  line('Python reference, one image after another (warm process)', t.pythonPerS);
  const verdict = (perS: number) =>
    `${(perS / (t.pythonPerS as number)).toFixed(2)}x (${perS >= (t.pythonPerS as number) ? 'not slower' : 'slower'})`;
  console.log(
    `toonlora prep --workers auto against the Python reference's images/s: warm against warm ${verdict(t.autoWarmPerS)}; ` +
      `cold TypeScript against the warm Python process ${verdict(t.autoColdPerS)}. Per image on one thread: the table above.`,
  );
}

const SETTLE_MS = 30;
const settle = () => new Promise<void>((done) => setTimeout(done, SETTLE_MS));

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Per-key mean ms per image of each round, then the median over rounds. */
function summariseBy<K extends string>(
  rounds: readonly ImageRun[][],
  keys: readonly K[],
  pick: (run: ImageRun, key: K) => number,
): Record<K, number> {
  const perRound = rounds.map((runs) =>
    Object.fromEntries(keys.map((k) => [k, runs.reduce((sum, r) => sum + pick(r, k), 0) / runs.length])),
  ) as Record<K, number>[];
  return Object.fromEntries(keys.map((k) => [k, median(perRound.map((r) => r[k]))])) as Record<K, number>;
}
const summarise = (rounds: readonly ImageRun[][]): StageMs => summariseBy(rounds, STAGES, (r, s) => r.ms[s]);
const summariseDetect = (rounds: readonly ImageRun[][]): DetectParts =>
  summariseBy(rounds, DETECT_PARTS, (r, p) => r.detectParts[p]);

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
function compareCharacters(ts: readonly ImageRun[], py: readonly ImageRun[]) {
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
function compareBoxes(ts: readonly ImageRun[], py: readonly ImageRun[]) {
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

const total = (ms: StageMs) => STAGES.reduce((sum, s) => sum + ms[s], 0);
const fmt = (ms: number) => ms.toFixed(1).padStart(9);

function printTable(result: BenchResult): void {
  const { ts, py } = result;
  const rounds = result.rounds === 1 ? '1 round' : `median of ${result.rounds} rounds`;
  const sides = py ? 'TS and Python alternating image by image' : 'TypeScript only';
  console.log(
    `prep speed: ${result.images} panels (~1024 px), ${rounds}, ${sides} after a warm-up; ` +
      `${cpus().length} cores, 1-min load ${result.load.before.toFixed(1)} -> ${result.load.after.toFixed(1)}`,
  );
  console.log('stage      TS ms/img  Py ms/img    Py/TS');
  for (const stage of STAGES) {
    const p = py?.[stage];
    const ratio = p === undefined ? '' : (p / ts[stage]).toFixed(2).padStart(9);
    console.log(`${stage.padEnd(9)}${fmt(ts[stage])}  ${p === undefined ? '        -' : fmt(p)}${ratio}`);
    if (stage !== 'detect') continue;
    for (const part of DETECT_PARTS) {
      const tp = result.tsDetect[part];
      const pp = result.pyDetect?.[part];
      const partRatio = pp === undefined ? '' : (pp / tp).toFixed(2).padStart(9);
      console.log(
        `  ${part.padEnd(12)}${tp.toFixed(1).padStart(6)}  ${pp === undefined ? '        -' : fmt(pp)}${partRatio}`,
      );
    }
  }
  const pyTotal = py ? total(py) : undefined;
  console.log(
    `${'total'.padEnd(9)}${fmt(total(ts))}  ${pyTotal === undefined ? '        -' : fmt(pyTotal)}${pyTotal ? (pyTotal / total(ts)).toFixed(2).padStart(9) : ''}`,
  );
  const rate = 1000 / total(ts);
  console.log(
    `TypeScript: ${rate.toFixed(2)} images/s (target >= ${TARGET_IMAGES_PER_S}: ${rate >= TARGET_IMAGES_PER_S ? 'met' : 'NOT met'}); ` +
      `models + OpenCV load ${result.setupMs.toFixed(0)} ms once`,
  );
  if (!py || !pyTotal) {
    console.log(`Python reference: ${result.pythonError}`);
    return;
  }
  console.log(
    `Python reference: ${(1000 / pyTotal).toFixed(2)} images/s; per image, one thread each, TypeScript runs at ` +
      `${(pyTotal / total(ts)).toFixed(2)}x the Python speed (${total(ts) <= pyTotal ? 'not slower' : 'slower'})`,
  );
  const front = (ms: StageMs) => ms.decode + ms.detect + ms.remove;
  console.log(
    `decode + detect + remove only: TS ${front(ts).toFixed(1)} ms, Python ${front(py).toFixed(1)} ms ` +
      `(TypeScript at ${(front(py) / front(ts)).toFixed(2)}x the Python speed)`,
  );
  const boxes = result.boxes;
  console.log(
    `text boxes: TS ${boxes?.tsCount}, Python ${boxes?.pyCount}, mean IoU ${boxes?.meanIou.toFixed(3)}`,
  );
  const versions = result.pythonVersions ?? {};
  console.log(
    `runtimes: TS onnxruntime-node ${ortNodeVersion()} + OpenCV ${OPENCV_JS} (WASM, one thread); ` +
      `Python onnxruntime ${versions.onnxruntime} + opencv-python ${versions.opencv} (native)`,
  );
  const chars = result.characters;
  console.log(
    `character boxes (classic segmenter, both sides the same algorithm): ${chars?.same}/${chars?.images} identical, mean IoU ${chars?.meanIou.toFixed(3)}`,
  );
}

interface BenchResult {
  images: number;
  rounds: number;
  load: { before: number; after: number };
  setupMs: number;
  ts: StageMs;
  tsDetect: DetectParts;
  py?: StageMs;
  pyDetect?: DetectParts;
  pythonError?: string;
  pythonVersions?: Record<string, string>;
  boxes?: ReturnType<typeof compareBoxes>;
  characters?: ReturnType<typeof compareCharacters>;
  throughput: Throughput;
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parsePrepArgs(argv);
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const images = await benchImages();
  try {
    await bench(images.paths, options);
  } finally {
    await images.cleanup();
  }
}

async function bench(paths: string[], options: PrepBenchOptions): Promise<void> {
  const { rounds, copies } = options;
  const before = loadavg()[0] as number;
  const ts = await openTypeScript();
  const py = options.python ? await openPython() : 'skipped (--no-python)';
  const server = typeof py === 'string' ? undefined : py;
  const tsRounds: ImageRun[][] = [];
  const pyRounds: ImageRun[][] = [];
  // Round 0 warms up both sides (JIT, WASM heap, onnxruntime arenas) and gives the boxes compared.
  for (let round = 0; round <= rounds; round++) {
    const tsRuns: ImageRun[] = [];
    const pyRuns: ImageRun[] = [];
    for (const path of paths) {
      // A short pause before each side lets the other's background work (V8's concurrent GC, thread
      // pools winding down) finish instead of landing in the next side's first stage.
      await settle();
      tsRuns.push(await ts.run(path));
      await settle();
      if (server) pyRuns.push(await server.run(path));
    }
    tsRounds.push(tsRuns);
    pyRounds.push(pyRuns);
  }
  const throughput = await measureThroughput(
    Array.from({ length: copies }, () => paths).flat(),
    paths,
    server,
  );
  server?.close();
  const result: BenchResult = {
    throughput,
    images: paths.length,
    rounds,
    load: { before, after: loadavg()[0] as number },
    setupMs: ts.setupMs,
    ts: summarise(tsRounds.slice(1)),
    tsDetect: summariseDetect(tsRounds.slice(1)),
    ...(server
      ? {
          py: summarise(pyRounds.slice(1)),
          pyDetect: summariseDetect(pyRounds.slice(1)),
          pythonVersions: server.versions,
          boxes: compareBoxes(tsRounds[0] ?? [], pyRounds[0] ?? []),
          characters: compareCharacters(tsRounds[0] ?? [], pyRounds[0] ?? []),
        }
      : { pythonError: py as string }),
  };
  if (options.json) console.log(JSON.stringify(result, null, 2));
  else {
    printTable(result);
    printThroughput(result.throughput, result.images);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    if (error instanceof UsageError) console.error('(--help lists the options)');
    process.exit(error instanceof UsageError ? 2 : 1);
  });
}

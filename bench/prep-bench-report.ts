// bench/prep-bench-report.ts — bench/prep-speed.ts's per-image figures: the median over rounds of each
// side's mean ms per image per stage, and the table (with ratios, throughput apart in
// prep-bench-throughput.ts, agreement from prep-bench-parity.ts) or the JSON result.
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import type { compareBoxes, compareCharacters, compareMasks } from './prep-bench-parity.js';
import { DETECT_PARTS, type DetectParts, type ImageRun, STAGES, type StageMs } from './prep-bench-sides.js';
import type { Throughput } from './prep-bench-throughput.js';

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

export interface BenchResult {
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
  masks?: ReturnType<typeof compareMasks>;
  throughput: Throughput;
}

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
export const summarise = (rounds: readonly ImageRun[][]): StageMs =>
  summariseBy(rounds, STAGES, (r, s) => r.ms[s]);
export const summariseDetect = (rounds: readonly ImageRun[][]): DetectParts =>
  summariseBy(rounds, DETECT_PARTS, (r, p) => r.detectParts[p]);

const total = (ms: StageMs) => STAGES.reduce((sum, s) => sum + ms[s], 0);
const fmt = (ms: number) => ms.toFixed(1).padStart(9);

export function printTable(result: BenchResult): void {
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
  const masks = result.masks;
  if (!masks) return;
  const agreement = (m: (typeof masks)['text']) =>
    `mean IoU ${m.meanIou.toFixed(3)}, lowest ${m.minIou.toFixed(3)} (${m.images} images)`;
  console.log(`text removed (pixels filled or inpainted, outlines included): ${agreement(masks.text)}`);
  console.log(
    `character masks (bubbles and their leftovers out, touching figures cut apart): ${agreement(masks.character)}`,
  );
}

// bench/prep-speed.ts — `npm run bench:prep`: per-stage milliseconds per image and images/s of the
// prep front half (decode, PaddleOCR text detection, text removal, classic segmentation minus speech
// bubbles with touching figures cut apart, crop) over the bundled synthetic panels, and the same stages
// run by the Python reference (bench/prep_reference.py: opencv-python + onnxruntime, same model, sizes,
// session settings and algorithms) in the same run, as a ratio (the two sides: prep-bench-sides.ts).
// The two alternate image by image (Python runs as a child process that answers one image per
// request), so both see the same background load on a shared machine. Also checks that both sides did
// equivalent work: the same text boxes, character boxes, text-removal and character masks
// (prep-bench-parity.ts). Then throughput (prep-bench-throughput.ts): the panels repeated, analysed as
// `prep --workers auto` does here, against one file at a time, two analysis workers and the Python
// reference. Options (`--help`): --rounds N (default 3; the median round counts), --copies N
// (throughput run = the panels x N, default 8), --json, --no-python (TypeScript only). Paths (the
// panels, the Python venv, prep_reference.py) are taken from the repository this file is in, so it runs
// from any folder.
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { drawPanels, writePanelImages } from '../scripts/draw-panels.js';
import { compareBoxes, compareCharacters, compareMasks } from './prep-bench-parity.js';
import { type BenchResult, printTable, summarise, summariseDetect } from './prep-bench-report.js';
import { type ImageRun, openPython, openTypeScript, REPO } from './prep-bench-sides.js';
import { measureThroughput, printThroughput } from './prep-bench-throughput.js';

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

const SETTLE_MS = 30;
const settle = () => new Promise<void>((done) => setTimeout(done, SETTLE_MS));

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
  // Round 0 warms up both sides (JIT, WASM heap, onnxruntime arenas) and gives the boxes and masks
  // compared (made after each side's clock stops).
  for (let round = 0; round <= rounds; round++) {
    const tsRuns: ImageRun[] = [];
    const pyRuns: ImageRun[] = [];
    for (const path of paths) {
      // A short pause before each side lets the other's background work (V8's concurrent GC, thread
      // pools winding down) finish instead of landing in the next side's first stage.
      await settle();
      tsRuns.push(await ts.run(path, round === 0));
      await settle();
      if (server) pyRuns.push(await server.run(path, round === 0));
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
          masks: compareMasks(tsRounds[0] ?? [], pyRounds[0] ?? []),
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

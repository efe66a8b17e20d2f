// bench/prep-bench-throughput.ts — the throughput half of bench/prep-speed.ts: the panels repeated,
// analysed whole as `prep --workers auto` does here (on 2 cores: the run thread, several files at
// once, networks on inference threads; with more cores: analysis workers; src/prep/analysis-threads.ts),
// cold (starting its threads and opening their models timed) and warm, against one file at a time, two
// analysis workers, and the Python reference on the same files one after the other.
import { analyseFile } from '../src/prep/analyse-file.js';
import { inThreadAnalyser, OrderedAnalysis } from '../src/prep/analysis-pool.js';
import { planAnalysisThreads, startAnalysisThreads, type ThreadPlan } from '../src/prep/analysis-threads.js';
import { loadAnalysisStages } from '../src/prep/stage-registry.js';
import { prepConfigSchema } from '../src/schemas/config.js';
import type { PythonServer } from './prep-bench-sides.js';

export interface Throughput {
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
export async function measureThroughput(
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

export function printThroughput(t: Throughput, images: number): void {
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

// src/demo/run-demo.ts — the whole chain on the bundled example screenshots: Python env -> prep ->
// train -> kohya file -> inspect -> generate. Offline by default: without the real base model in
// the cache it trains the seeded `tiny` SD1.5-shaped model and says so (its images are noise — it
// proves the chain runs, not that it draws); with `anything-v5` pulled it trains the real thing.
import { existsSync, mkdirSync, rmdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePythonEnv } from '../env/python-env.js';
import { ToonloraError } from '../errors.js';
import { type InspectResult, inspectLora } from '../lora/inspect.js';
import { checkBaseModelName } from '../models/base-model.js';
import { isModelPresent } from '../models/cache.js';
import { checkOutputFolder } from '../output-folder.js';
import { type PrepProgress, type PrepResult, runPrep } from '../prep/pipeline.js';
import {
  DEFAULT_BASE_MODEL,
  generationConfigSchema,
  prepConfigSchema,
  trainingConfigSchema,
} from '../schemas/config.js';
import { checkBasePulled, checkTrainingBase } from '../worker/base-check.js';
import { type GenerationResult, runGeneration } from '../worker/generate.js';
import type { WorkerEvent } from '../worker/protocol.js';
import { runTraining, type TrainResult } from '../worker/train.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const EXAMPLE_SCREENS_DIR = join(REPO_ROOT, 'examples', 'screens');
const PREP_DEFAULTS = prepConfigSchema.parse({});
/** The demo's trigger and class words: prep's defaults (`sks`, `girl`). */
export const DEMO_TRIGGER = PREP_DEFAULTS.trigger;
export const DEMO_CLASS = PREP_DEFAULTS.classWord;

/** Demo sizes per base: the tiny model learns at 64 px in seconds on a CPU; the real one at 512. */
const DEMO_PLANS = {
  tiny: { baseModel: 'tiny', resolution: 64, steps: 60, sampleSteps: 10, rank: 8, mixedPrecision: 'no' },
  real: {
    baseModel: DEFAULT_BASE_MODEL,
    resolution: 512,
    steps: 600,
    sampleSteps: 28,
    rank: 32,
    mixedPrecision: 'fp16',
  },
} as const;

/** The demo's default training steps on each kind of base (the `--steps` help names them). */
export const DEMO_DEFAULT_STEPS = { tiny: DEMO_PLANS.tiny.steps, real: DEMO_PLANS.real.steps } as const;

export interface DemoOptions {
  /** Folder for this run (must not exist or be empty); default `demo-out/<timestamp>`. */
  readonly outDir?: string;
  readonly inputsDir?: string;
  /** `auto` (real base when cached, else tiny), `tiny`, or a base model id / file. */
  readonly base?: string;
  /** Training steps; default by plan (DEMO_DEFAULT_STEPS). */
  readonly steps?: number;
  readonly log?: (line: string) => void;
  readonly onPrepProgress?: (progress: PrepProgress) => void;
  readonly onWorkerEvent?: (event: WorkerEvent) => void;
  /** Called as each stage starts (the CLI gives training and generation their own progress line). */
  readonly onStage?: (stage: DemoStage) => void;
  /** The clock the stage timings come from (default Date.now; tests pass a fake one). */
  readonly now?: () => number;
}

/** The demo's four stages, in order. */
export const DEMO_STAGES = ['setup', 'prep', 'train', 'generate'] as const;
export type DemoStage = (typeof DEMO_STAGES)[number];

/** Seconds each stage took (`setup`: the Python env check, or its install on a first run), and in all. */
export type DemoTimings = Record<DemoStage | 'total', number>;

export interface DemoResult {
  readonly outDir: string;
  readonly baseModel: string;
  readonly prep: { datasetDir: string; manifest: string; crops: number; files: number };
  readonly training: { steps: number; lastLoss: number | null; adapter?: string; kohyaFile?: string };
  readonly lora: { format: string; modules: number; compatibility: InspectResult['compatibility'] };
  readonly images: GenerationResult;
  readonly timings: DemoTimings;
}

/** Times the stages: `start(stage)` ends the one before; `finish()` ends the last and gives every stage's seconds. */
export function createStageTimer(now: () => number = Date.now): {
  start(stage: DemoStage): void;
  finish(): DemoTimings;
} {
  const began = now();
  const seconds: DemoTimings = { setup: 0, prep: 0, train: 0, generate: 0, total: 0 };
  let current: { stage: DemoStage; at: number } | undefined;
  const end = () => {
    if (current) seconds[current.stage] = (now() - current.at) / 1000;
  };
  return {
    start(stage) {
      end();
      current = { stage, at: now() };
    },
    finish() {
      end();
      current = undefined;
      seconds.total = (now() - began) / 1000;
      return { ...seconds };
    },
  };
}

/** The base model to train on: `auto` picks the real anime base when its weights are cached. */
export function chooseDemoBase(
  requested: string | undefined,
  realBasePresent: boolean,
): { base: string; plan: keyof typeof DEMO_PLANS } {
  if (requested === undefined || requested === 'auto') {
    return realBasePresent ? { base: DEFAULT_BASE_MODEL, plan: 'real' } : { base: 'tiny', plan: 'tiny' };
  }
  return requested === 'tiny' ? { base: 'tiny', plan: 'tiny' } : { base: requested, plan: 'real' };
}

function defaultOutDir(now: Date): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  return resolve('demo-out', stamp);
}

function countCrops(prep: PrepResult): { crops: number; files: number } {
  const files = prep.manifest.files;
  return { crops: files.reduce((sum, file) => sum + file.crops.length, 0), files: files.length };
}

/** The parts of a demo run in its --out folder (an earlier run's refuse a new one there). */
const DEMO_PARTS = ['dataset', 'run', 'images'] as const;

/**
 * What can be refused before any work: --steps, a mistyped --base, and an --out that is a file or holds an
 * earlier run.
 */
function checkDemoOptions(options: DemoOptions, outDir: string): void {
  if (options.base !== undefined && options.base !== 'auto') checkBaseModelName('--base', options.base);
  if (options.steps !== undefined && (!Number.isInteger(options.steps) || options.steps < 1)) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `--steps: expected a whole number of at least 1, got ${options.steps}. Leave it out for the default.`,
    );
  }
  const fix = 'Choose a new folder for --out, or leave --out out (each run gets a new demo-out/<date-time>).';
  checkOutputFolder(outDir, fix);
  const earlier = DEMO_PARTS.filter((part) => existsSync(join(outDir, part)));
  if (earlier.length > 0) {
    throw new ToonloraError(
      'TL_ERR_OUTPUT_EXISTS',
      `${outDir}: already holds a demo run (${earlier.join(', ')}); nothing was changed. ${fix} To run it there again, delete ${earlier.map((part) => join(outDir, part)).join(', ')} first.`,
    );
  }
}

/**
 * The base the demo trains on, checked as `train` checks it (checkTrainingBase, checkBasePulled) before any work: a
 * base that is not on this machine is named at once, not after the Python setup and prep.
 */
async function chooseCheckedBase(requested: string | undefined): Promise<ReturnType<typeof chooseDemoBase>> {
  const chosen = chooseDemoBase(requested, isModelPresent('anything-v5'));
  await checkTrainingBase(chosen.base);
  checkBasePulled(chosen.base);
  return chosen;
}

/**
 * Removes what a demo that failed before training made in its --out folder (its dataset/, and the folder itself when
 * the demo made it and nothing else is in it), so that the same command runs again. Best effort.
 */
async function removeFailedDemo(outDir: string, madeOutDir: boolean): Promise<void> {
  await rm(join(outDir, 'dataset'), { recursive: true, force: true }).catch(() => {});
  if (!madeOutDir) return;
  try {
    rmdirSync(outDir); // only when empty
  } catch {}
}

/** Why the first files gave no crop, `a.png: its bytes are not an image …; b.png: no character found`, then how many more. */
function noCropReasons(prep: PrepResult): string {
  const files = prep.manifest.files;
  const named = files.slice(0, 3).map((file) => {
    const name = basename(file.source);
    const reason = file.reason ?? file.status;
    return reason.startsWith(`${name}: `) ? reason : `${name}: ${reason}`; // decode reasons name their file
  });
  return [...named, ...(files.length > 3 ? [`and ${files.length - 3} more`] : [])].join('; ');
}

/** The demo's first two stages: the Python environment, then prep of `inputsDir` into `<outDir>/dataset`. */
async function setUpAndPrep(
  inputsDir: string,
  outDir: string,
  options: DemoOptions,
  stage: (name: DemoStage) => void,
  log: (line: string) => void,
): Promise<{ prep: PrepResult; datasetDir: string }> {
  stage('setup');
  log('demo 1/4: Python worker environment (toonlora setup)');
  await ensurePythonEnv({ log });

  stage('prep');
  log(`demo 2/4: prep ${inputsDir} -> ${join(outDir, 'dataset')}`);
  const prep = await runPrep({
    inputs: [inputsDir],
    outDir: join(outDir, 'dataset'),
    config: { trigger: DEMO_TRIGGER, classWord: DEMO_CLASS },
    saveStages: true,
    onMessage: log,
    ...(options.onPrepProgress ? { onProgress: options.onPrepProgress } : {}),
  });
  const datasetDir = prep.datasetDir; // null: no crop, so no dataset folder
  if (countCrops(prep).crops === 0 || datasetDir === null) {
    throw new ToonloraError(
      'TL_ERR_IMAGE_DECODE',
      `prep made no crops from ${inputsDir} (${noCropReasons(prep)}); nothing was kept in ${outDir}.`,
    );
  }
  return { prep, datasetDir };
}

/**
 * Runs the demo end to end. @throws TL_ERR_OUTPUT_EXISTS (out dir not empty), TL_ERR_PYTHON_ENV,
 * TL_ERR_WORKER and whatever the stages throw — each names the stage's file or model.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const outDir = resolve(options.outDir ?? defaultOutDir(new Date()));
  const inputsDir = options.inputsDir ?? EXAMPLE_SCREENS_DIR;
  if (!existsSync(inputsDir)) {
    throw new ToonloraError(
      'TL_ERR_INPUT_NOT_FOUND',
      options.inputsDir === undefined
        ? `${inputsDir}: the bundled example screenshots are missing. Draw them again with \`npm run examples\` in the toonlora checkout, or give your own with --inputs <dir>.`
        : `${inputsDir}: the --inputs folder does not exist. Give a folder of screenshots, or leave --inputs out for the bundled examples.`,
    );
  }
  checkDemoOptions(options, outDir);
  const { base, plan: planName } = await chooseCheckedBase(options.base);
  const madeOutDir = !existsSync(outDir);
  mkdirSync(outDir, { recursive: true });
  const timer = createStageTimer(options.now);
  const stage = (name: DemoStage) => {
    timer.start(name);
    options.onStage?.(name);
  };

  let prepped: { prep: PrepResult; datasetDir: string };
  try {
    prepped = await setUpAndPrep(inputsDir, outDir, options, stage, log);
  } catch (error) {
    await removeFailedDemo(outDir, madeOutDir); // nothing trained yet: the same command runs again
    throw error;
  }
  const { prep, datasetDir } = prepped;
  const counts = countCrops(prep);
  const plan = DEMO_PLANS[planName];
  stage('train');
  log(
    planName === 'tiny' && base !== options.base
      ? 'demo 3/4: train on `tiny` — anything-v5 is not downloaded, so a small random-weight SD1.5-shaped model ' +
          'stands in: the chain runs end to end, but its images are noise. `toonlora models pull anything-v5` and a GPU give real ones.'
      : `demo 3/4: train on ${base}`,
  );
  const steps = options.steps ?? plan.steps;
  const training = trainingConfigSchema.parse({
    baseModel: base,
    resolution: plan.resolution,
    steps,
    mixedPrecision: plan.mixedPrecision,
    lora: { rank: plan.rank },
    sampleEverySteps: 0,
    checkpointEverySteps: Math.max(1, Math.floor(steps / 2)),
  });
  const trained: TrainResult = await runTraining({
    datasetDir: prep.outDir,
    runDir: join(outDir, 'run'),
    config: training,
    ...(options.onWorkerEvent ? { onEvent: options.onWorkerEvent } : {}),
  });
  if (!trained.kohyaFile)
    throw new ToonloraError('TL_ERR_WORKER', `training ended without a LoRA file (${trained.status}).`);
  const inspection = await inspectLora(trained.kohyaFile);

  stage('generate');
  log(`demo 4/4: generate with ${trained.kohyaFile}`);
  const images = await runGeneration({
    lora: trained.kohyaFile,
    outputDir: join(outDir, 'images'),
    config: generationConfigSchema.parse({
      baseModel: base,
      prompt: `${DEMO_TRIGGER}, ${DEMO_CLASS}, smile, upper body`,
      steps: plan.sampleSteps,
      width: plan.resolution,
      height: plan.resolution,
      seeds: [1, 2, 3, 4],
    }),
    ...(options.onWorkerEvent ? { onEvent: options.onWorkerEvent } : {}),
  });

  return {
    outDir,
    baseModel: base,
    prep: { datasetDir, manifest: prep.manifestPath ?? 'none (no crop)', ...counts },
    training: {
      steps: trained.steps,
      lastLoss: trained.lastLoss,
      ...(trained.adapter ? { adapter: trained.adapter } : {}),
      kohyaFile: trained.kohyaFile,
    },
    lora: {
      format: inspection.format,
      modules: inspection.modules.length,
      compatibility: inspection.compatibility,
    },
    images,
    timings: timer.finish(),
  };
}

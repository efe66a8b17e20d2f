// src/prep/pipeline.ts — `runPrep`, the dataset builder as a library call (the CLI and the server both
// use it): validates the settings, refuses to clobber a non-empty output folder (--overwrite replaces only
// a previous run's recorded files; the run is staged and moved into place at its end), picks the stages
// (announcing `auto` choices), analyses the input files on this thread (its networks on inference
// threads) or on worker threads (analysis-pool.ts), finishes them in input order (one bad file never
// stops the others), and writes the kohya folder plus `<out>/manifest.json`.
import { existsSync, readdirSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { z } from 'zod';
import { formatConfigIssues } from '../config/load-config.js';
import { ToonloraError } from '../errors.js';
import { checkOutputFolder, makeFolders } from '../output-folder.js';
import type { CacheOptions } from '../models/cache.js';
import { type PrepConfig, prepConfigSchema } from '../schemas/config.js';
import type { FileStatus, Manifest, ManifestFile } from '../schemas/manifest.js';
import { assembleCaption, type CaptionParts, type Captioner, mergeCaptionParts } from './caption.js';
import {
  createTextStages,
  type Resolved,
  resolveCaptioner,
  resolvePersonDetector,
  resolveSegmenter,
  type SegmenterName,
} from './stage-registry.js';
import { collectInputFiles } from './inputs.js';
import { buildManifest, MANIFEST_FILE, writeManifest } from './manifest.js';
import {
  checkNoRunningPrep,
  commitStaging,
  isDesktopFile,
  planReplacement,
  type ReplacePlan,
  STAGING_DIR,
  startStaging,
} from './output-swap.js';
import { datasetFolderName, UniqueNames } from './output-names.js';
import { finishFile, type RunContext } from './finish-file.js';
import {
  type AnalysisWorkerSpec,
  inThreadAnalyser,
  OrderedAnalysis,
  workersWarning,
} from './analysis-pool.js';
import { type AnalysisThreads, planAnalysisThreads, startAnalysisThreads } from './analysis-threads.js';
import type { CharacterSegmenter, PersonDetector, TextDetector, TextRemover } from './stage-types.js';

export interface PrepProgress {
  /** Files finished so far (1-based after the first) and in total. */
  readonly done: number;
  readonly total: number;
  readonly source: string;
  readonly status: FileStatus;
  readonly reason: string | null;
  readonly crops: number;
  /** The file's crops' quality warnings (the manifest's `crops[].warnings`, in crop order). */
  readonly warnings: readonly string[];
}

export interface PrepOptions {
  /** Image files and/or folders (walked recursively for image extensions). */
  readonly inputs: readonly string[];
  /** Output folder: gets `<repeats>_<trigger> <class>/`, `manifest.json` and (with saveStages) `stages/`. */
  readonly outDir: string;
  /** Prep settings; validated by prepConfigSchema, defaults filled in. */
  readonly config?: z.input<typeof prepConfigSchema>;
  /** Replace toonlora's previous output in a non-empty outDir (else TL_ERR_OUTPUT_EXISTS). */
  readonly overwrite?: boolean;
  /** Also write every stage's image under `<out>/stages/<name>/`. */
  readonly saveStages?: boolean;
  /** Called when a file starts: `done` files finished before it, of `total`. */
  readonly onFileStart?: (file: {
    readonly done: number;
    readonly total: number;
    readonly source: string;
  }) => void;
  /** Called after each file. */
  readonly onProgress?: (progress: PrepProgress) => void;
  /** Called after each batch of a deferred captioner (BLIP in the worker), which runs after the last file. */
  readonly onCaptionProgress?: (progress: { readonly done: number; readonly total: number }) => void;
  /** One-line announcements (the `auto` choices). */
  readonly onMessage?: (line: string) => void;
  /**
   * Cancels between files; the manifest then records `cancelled: true` and the files done. A stop received at
   * any point of the run (even once every file has started) counts: the run is cancelled and replaces nothing.
   */
  readonly signal?: AbortSignal;
  /** Model cache lookup overrides (tests). */
  readonly cache?: CacheOptions;
  /** Stage instances to use instead of the registry's (tests, the server's warm stages). */
  readonly stages?: Partial<{
    textDetector: TextDetector;
    textRemover: TextRemover;
    segmenter: CharacterSegmenter;
    personDetector: PersonDetector | null;
    captioner: Captioner;
  }>;
}

export interface PrepResult {
  readonly outDir: string;
  /**
   * Absolute path of the kohya dataset folder this run wrote; null when it wrote none: no crop was made, or an
   * --overwrite run kept the previous output (`keptPrevious`).
   */
  readonly datasetDir: string | null;
  /** Where the manifest was written; null when the run kept a previous output (`keptPrevious`). */
  readonly manifestPath: string | null;
  readonly manifest: Manifest;
  /**
   * True when an --overwrite run made no crop or was stopped: the previous dataset and manifest stay as
   * they were (an empty or partial run replaces nothing), and this run's record is only in `manifest`.
   */
  readonly keptPrevious: boolean;
  /** Input files never analysed because the run was stopped (0 for a run that went to the end). */
  readonly notProcessed: number;
}

/** Validates the prep settings; @throws ToonloraError TL_ERR_CONFIG naming each bad field, the value and the flag. */
export function parsePrepConfig(input: unknown): PrepConfig {
  const parsed = prepConfigSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const prefixed = parsed.error.issues.map((issue) => ({ ...issue, path: ['prep', ...issue.path] }));
  throw new ToonloraError(
    'TL_ERR_CONFIG',
    `prep settings are invalid\n${formatConfigIssues(prefixed, { prep: input })}`,
  );
}

const OUT_DIR_HINT = 'Choose a new or empty folder you can write to for -o.';

function outDirError(outDir: string, why: string, cause?: unknown): ToonloraError {
  return new ToonloraError('TL_ERR_USAGE', `${outDir}: ${why}. ${OUT_DIR_HINT}`, {
    cause,
    details: { file: outDir },
  });
}

/** Entries of an existing output folder; @throws TL_ERR_USAGE when it cannot be listed. */
function listOutDir(outDir: string): string[] {
  try {
    return readdirSync(outDir);
  } catch (error) {
    throw outDirError(
      outDir,
      `the output folder cannot be read (${(error as NodeJS.ErrnoException).code})`,
      error,
    );
  }
}

/**
 * Checks the output folder before any model loads: it (or the folder it would be made in) must be a
 * writable folder, and an existing one must be empty (a killed run's staging folder aside) unless
 * `overwrite`, which may replace only what a previous run recorded. Returns what the run replaces.
 * @throws ToonloraError TL_ERR_USAGE (no path, a file, or not writable) or TL_ERR_OUTPUT_EXISTS (not
 *   empty; with `overwrite`, holding files no previous run recorded)
 */
function checkOutDir(outDir: string, datasetDir: string, overwrite: boolean): ReplacePlan {
  checkOutputFolder(outDir, OUT_DIR_HINT);
  if (existsSync(outDir)) checkNoRunningPrep(outDir);
  const entries = existsSync(outDir)
    ? listOutDir(outDir).filter((name) => name !== STAGING_DIR && !isDesktopFile(name))
    : [];
  if (entries.length === 0) return { files: [], folders: [] };
  if (!overwrite) {
    throw new ToonloraError(
      'TL_ERR_OUTPUT_EXISTS',
      `${outDir}: the output folder is not empty (${entries.length} entries). Choose an empty or new -o folder, or pass --overwrite to replace a previous prep output there.`,
      { details: { file: outDir } },
    );
  }
  return planReplacement(outDir, datasetDir);
}

/** Makes the output folder and the run's staging folder in it; returns the staging folder. */
async function prepareOutDir(outDir: string): Promise<string> {
  const failed = await makeFolders(outDir);
  if (failed) {
    const { folder, error } = failed;
    const where = folder === outDir ? 'the output folder' : `its folder ${folder}`;
    throw outDirError(
      outDir,
      `${where} cannot be made in ${dirname(folder)} (${error.code === 'ENOENT' ? 'ENOENT: that filesystem does not allow new folders' : error.code})`,
      error,
    );
  }
  try {
    return await startStaging(outDir);
  } catch (error) {
    if (error instanceof ToonloraError) throw error; // another prep run started meanwhile
    throw outDirError(
      outDir,
      `the output folder cannot be made (${(error as NodeJS.ErrnoException).code})`,
      error,
    );
  }
}

/** Moves the run's output into place and writes its manifest; a failed write is a coded error naming the file. */
async function finishOutDir(
  outDir: string,
  staging: string,
  plan: ReplacePlan,
  datasetDir: string,
  manifest: Manifest,
): Promise<string> {
  await commitStaging(outDir, staging, plan, datasetDir);
  try {
    return await writeManifest(outDir, manifest);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ToonloraError(
      'TL_ERR_OUTPUT_WRITE',
      `${join(outDir, MANIFEST_FILE)}: cannot be written (${code === 'ENOSPC' ? 'the disk is full' : code}); the dataset folder ${join(outDir, datasetDir)} holds the crops written. Free some space and run prep again with --overwrite.`,
      { cause: error, details: { file: join(outDir, MANIFEST_FILE) } },
    );
  }
}

/** Picks every stage (injected ones win), with one announcement line per `auto` choice. */
async function resolveStages(options: PrepOptions, config: PrepConfig) {
  const injected = options.stages ?? {};
  const cache = options.cache ?? {};
  const given = <T extends { name: string }>(stage: T): Resolved<T> => ({
    stage,
    choice: { name: stage.name, reason: 'given by the caller' },
  });
  const segmenter = injected.segmenter
    ? given(injected.segmenter)
    : await resolveSegmenter(config.segmenter, cache);
  const captionerOptions = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onCaptionProgress ? { onCaptionProgress: options.onCaptionProgress } : {}),
  };
  const captioner = injected.captioner
    ? given(injected.captioner)
    : await resolveCaptioner(config, cache, captionerOptions);
  const person: Resolved<PersonDetector | null> | null =
    injected.personDetector !== undefined
      ? injected.personDetector && given(injected.personDetector)
      : await resolvePersonDetector(config.characters, cache);
  const text =
    injected.textDetector && injected.textRemover
      ? { detector: given(injected.textDetector), remover: given(injected.textRemover) }
      : await createTextStages(config, cache);
  const announcements: string[] = [];
  const line = (role: string, r: Resolved<unknown>) => `${role}: ${r.choice.name} (${r.choice.reason})`;
  if (!injected.segmenter && config.segmenter === 'auto') announcements.push(line('segmenter', segmenter));
  if (!injected.captioner && config.captioner === 'auto') announcements.push(line('captioner', captioner));
  if (person && injected.personDetector === undefined) {
    announcements.push(
      person.stage
        ? 'characters: all, one crop per person found by anime-person-detector'
        : `characters: all, split by separate mask parts; ${person.choice.reason}`,
    );
  }
  if (!injected.textRemover && config.inpainter === 'auto')
    announcements.push(line('text removal', text.remover));
  return { segmenter, captioner, person, text, announcements };
}

/** Worker threads can only open stages from the registry, not stage objects a caller passed in. */
function canUseWorkers(options: PrepOptions): boolean {
  const given = options.stages ?? {};
  return !given.textDetector && !given.textRemover && !given.segmenter && given.personDetector === undefined;
}

/** What the run's analysis workers open: the stages this run resolved, `intraOpThreads` per session. */
function workerSpec(
  intraOpThreads: number,
  ctx: RunContext,
  stages: Awaited<ReturnType<typeof resolveStages>>,
  options: PrepOptions,
): AnalysisWorkerSpec {
  return {
    config: ctx.config,
    saveStages: ctx.saveStages,
    intraOpThreads,
    segmenter: stages.segmenter.choice.name as SegmenterName,
    personDetectorModel: stages.person?.stage ? (stages.person.modelPath ?? null) : null,
    cache: options.cache ?? {},
  };
}

/** Most characters of a deferred captioner's error shown (transformers lists every model type it knows). */
const CAPTION_ERROR_CHARS = 300;

/** A deferred captioner's error in one short line, with the fix for a broken BLIP copy. */
export function shortCaptionError(message: string): string {
  const line = (message.split('\n')[0] ?? '').trim();
  const short = line.length > CAPTION_ERROR_CHARS ? `${line.slice(0, CAPTION_ERROR_CHARS).trimEnd()}…` : line;
  return short.includes('models pull')
    ? short
    : `${short}; \`toonlora models pull blip-base\` replaces a broken copy`;
}

/** The captioner the manifest records when the deferred one (BLIP) failed: what the captions hold. */
function fallenBackCaptioner(
  choice: { name: string; reason: string },
  why: string,
): { name: string; reason: string } {
  const name = choice.name === 'blip+wd14' ? 'wd14' : 'none';
  const holds = name === 'wd14' ? 'WD14 tags' : 'the trigger and class words';
  return {
    name,
    reason: `${choice.name} was chosen (${choice.reason}) but BLIP failed: ${why}; captions are ${holds}`,
  };
}

/**
 * Lets a deferred captioner (BLIP in the worker) describe every crop of the run in one batch, then
 * rewrites those captions. A failure there keeps the captions written so far and says so in one line.
 */
async function finishDeferredCaptions(
  ctx: RunContext,
  files: ManifestFile[],
  options: PrepOptions,
): Promise<string | undefined> {
  const start = performance.now();
  let late: Map<string, CaptionParts>;
  try {
    late = (await ctx.captioner.finish?.()) ?? new Map();
  } catch (error) {
    const why = shortCaptionError((error as Error).message);
    options.onMessage?.(`captioner ${ctx.captioner.name}: ${why} (captions keep what the other stages gave)`);
    return why;
  }
  const totalCrops = files.reduce((n, f) => n + f.crops.length, 0);
  const batchMs = performance.now() - start;
  for (const file of files) {
    // the batch's time, shared out by crops, so per-file timings still add up to the run
    if (file.crops.length)
      file.timingsMs.caption = Math.round(
        (file.timingsMs.caption ?? 0) + (batchMs * file.crops.length) / totalCrops,
      );
    for (const crop of file.crops) {
      const path = join(ctx.outDir, crop.image);
      const parts = mergeCaptionParts(late.get(path) ?? {}, ctx.captionParts.get(path) ?? {});
      crop.caption = assembleCaption(ctx.config.trigger, ctx.config.classWord, parts);
      await writeFile(join(ctx.outDir, crop.captionFile), `${crop.caption}\n`, 'utf8');
    }
  }
}

/**
 * Builds the dataset. Per-file problems land in the manifest; the run itself throws only for bad
 * settings, no inputs or an output path that is a file or not writable (TL_ERR_CONFIG, TL_ERR_USAGE),
 * missing inputs (TL_ERR_INPUT_NOT_FOUND), a non-empty output folder (TL_ERR_OUTPUT_EXISTS), a stage
 * asked for by name whose weights are missing or do not load (TL_ERR_MODEL_MISSING)
 * or a captioner that is not built (TL_ERR_NOT_IMPLEMENTED).
 */
export async function runPrep(options: PrepOptions): Promise<PrepResult> {
  const config = parsePrepConfig(options.config);
  if (options.outDir.trim() === '') throw outDirError('-o ""', 'an empty path');
  const outDir = resolve(options.outDir);
  const files = collectInputFiles(options.inputs, outDir, (line) => options.onMessage?.(line));
  const datasetDir = datasetFolderName(config.repeats, config.trigger, config.classWord);
  const replaced = checkOutDir(outDir, datasetDir, options.overwrite ?? false); // refuse before loading any model
  const plan = planAnalysisThreads(config.workers, files.length, canUseWorkers(options));
  const tooMany = workersWarning(config.workers, plan.analysers);
  if (tooMany) options.onMessage?.(tooMany);
  // the workers load their code and OpenCV while this thread resolves (and opens) the stages; alone,
  // this thread runs its networks on inference threads and analyses several files at once
  const threads = startAnalysisThreads(plan);
  try {
    const stages = await resolveStages(options, config);
    const staging = await prepareOutDir(outDir);
    for (const line of stages.announcements) options.onMessage?.(line);
    const ctx: RunContext = {
      config,
      outDir: staging, // moved into outDir when the run ends (output-swap.ts)
      datasetDir,
      saveStages: options.saveStages ?? false,
      textDetector: stages.text.detector.stage,
      textRemover: stages.text.remover.stage,
      segmenter: stages.segmenter.stage,
      personDetector: stages.person?.stage ?? null,
      captioner: stages.captioner.stage,
      names: new UniqueNames(),
      stageNames: new UniqueNames(),
      kept: [],
      captionParts: new Map(),
    };
    for (const worker of threads.workers)
      worker.configure(workerSpec(threads.intraOpThreads, ctx, stages, options));
    const { done } = await analyseAndFinish(ctx, files, threads, options);
    await threads.endHelpers(); // before the captions: BLIP can take minutes, and the helpers hold models
    const captionFailure = ctx.captioner.finish
      ? await finishDeferredCaptions(ctx, done, options)
      : undefined;
    // a stop received at any time counts, also one that came once every file had started (the run then
    // finished them, but the user asked it to stop: it must not replace a dataset or exit 0)
    const cancelled = options.signal?.aborted === true;
    const notProcessed = files.length - done.length;
    const manifest = buildManifest({
      createdAt: new Date(),
      datasetDir,
      settings: config,
      stages: {
        textDetector: stages.text.detector.choice,
        textRemover: stages.text.remover.choice,
        segmenter: stages.segmenter.choice,
        // --characters all without the detector: the manifest says the split came from mask parts, and why
        personDetector: stages.person
          ? stages.person.stage
            ? stages.person.choice
            : { name: 'mask-parts', reason: `split by separate mask parts; ${stages.person.choice.reason}` }
          : null,
        captioner: captionFailure
          ? fallenBackCaptioner(stages.captioner.choice, captionFailure)
          : stages.captioner.choice,
      },
      cancelled,
      files: done,
    });
    if ((cancelled || manifest.summary.crops === 0) && replaced.files.length > 0) {
      // a stopped or empty --overwrite run does not replace a complete dataset with what it got to
      await rm(staging, { recursive: true, force: true });
      return { outDir, datasetDir: null, manifestPath: null, manifest, keptPrevious: true, notProcessed };
    }
    // no crop: no dataset folder either (a file whose caption failed left its staged folder empty)
    if (manifest.summary.crops === 0) await rm(join(staging, datasetDir), { recursive: true, force: true });
    const manifestPath = await finishOutDir(outDir, staging, replaced, datasetDir, manifest);
    const written = manifest.summary.crops > 0 ? join(outDir, datasetDir) : null;
    return { outDir, datasetDir: written, manifestPath, manifest, keptPrevious: false, notProcessed };
  } finally {
    await threads.close(); // (workers closed already unless the stages failed to open)
  }
}

/**
 * Analyses `files` on the run's threads (see staffAnalysis; a worker that does not start is
 * announced) and finishes each file in input order. Stops handing out files on `options.signal`
 * (the files already started are finished).
 */
async function analyseAndFinish(
  ctx: RunContext,
  files: readonly string[],
  threads: AnalysisThreads,
  options: PrepOptions,
): Promise<{ done: ManifestFile[] }> {
  const done: ManifestFile[] = [];
  const analysis = new OrderedAnalysis(files, {
    ...(options.signal ? { signal: options.signal } : {}),
    window: threads.window,
    onStart: (_index, source) => options.onFileStart?.({ done: done.length, total: files.length, source }),
  });
  const working = threads.staff(analysis, inThreadAnalyser(ctx, ctx.config, ctx.saveStages), (error) =>
    options.onMessage?.(`an analysis worker did not start (${error.message}); the other threads go on`),
  );
  try {
    for await (const { source, analysis: result } of analysis.results()) {
      const entry = await finishFile(ctx, result);
      done.push(entry);
      options.onProgress?.({
        done: done.length,
        total: files.length,
        source,
        status: entry.status,
        reason: entry.reason,
        crops: entry.crops.length,
        warnings: entry.crops.flatMap((crop) => crop.warnings),
      });
    }
    await working;
  } finally {
    analysis.stop(); // (after an error: the other threads take no more files)
    // closed before the captions: BLIP can take minutes, and each worker holds its models
    await Promise.all(threads.workers.map((w) => w.close()));
  }
  return { done };
}

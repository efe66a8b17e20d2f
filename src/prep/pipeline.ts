// src/prep/pipeline.ts — `runPrep`, the dataset builder as a library call (the CLI and the server both
// use it): validates the settings, refuses to clobber a non-empty output folder (--overwrite replaces only
// a previous run's recorded files; the run is staged and moved into place at its end), picks the stages
// (announcing `auto` choices), analyses the input files on this thread (its networks on inference
// threads) or on worker threads (analysis-pool.ts), finishes them in input order (one bad file never
// stops the others), and writes the kohya folder plus `<out>/manifest.json`. The output folder's checks and
// swap are in out-dir.ts, the stage choice in run-stages.ts, the deferred (BLIP) captions in deferred-captions.ts.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { formatConfigIssues } from '../config/load-config.js';
import { isDiskFullError } from '../disk-full.js';
import { ToonloraError } from '../errors.js';
import type { CacheOptions } from '../models/cache.js';
import { type PrepConfig, prepConfigSchema } from '../schemas/config.js';
import { safeParseInWords } from '../schemas/issue-words.js';
import type { FileStatus, Manifest, ManifestFile } from '../schemas/manifest.js';
import type { Captioner } from './caption.js';
import { inThreadAnalyser, OrderedAnalysis, workersWarning } from './analysis-pool.js';
import { type AnalysisThreads, planAnalysisThreads, startAnalysisThreads } from './analysis-threads.js';
import { fallenBackCaptioner, finishDeferredCaptions } from './deferred-captions.js';
import { finishFile, type RunContext } from './finish-file.js';
import { collectInputFiles } from './inputs.js';
import { buildManifest } from './manifest.js';
import { prepDiskFullError } from './disk-full.js';
import { checkOutDir, discardStaging, finishOutDir, outDirError, prepareOutDir } from './out-dir.js';
import { releaseStaging } from './output-swap.js';
import { datasetFolderName, UniqueNames } from './output-names.js';
import { canUseWorkers, resolveStages, workerSpec } from './run-stages.js';
import { CLI_STAGE_WORDS, reasonInWords, reasonOf, type StageWords, stageChoice } from '../stage-reason.js';
import type { CharacterSegmenter, PersonDetector, TextDetector, TextRemover } from './stage-types.js';

export { shortCaptionError } from './deferred-captions.js';

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
  /** With overwrite: replace captions the user edited since the previous run wrote them (else TL_ERR_OUTPUT_EXISTS naming them). */
  readonly discardEdits?: boolean;
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
   * The words of the models, options and errors the announced stage reasons name (default: the CLI's; the server
   * passes the web app's, src/jobs/web-stage-words.ts). The manifest's `reason` is in the CLI's words either way.
   */
  readonly stageWords?: StageWords;
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
  /** Where the manifest was written; null when the run kept a previous output (`keptPrevious`), or was stopped
   * before its first crop into a folder without one (nothing written: the folder is as it was). */
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
  const parsed = safeParseInWords(prepConfigSchema, input ?? {});
  if (parsed.success) return parsed.data;
  const prefixed = parsed.error.issues.map((issue) => ({ ...issue, path: ['prep', ...issue.path] }));
  throw new ToonloraError(
    'TL_ERR_CONFIG',
    `prep settings are invalid\n${formatConfigIssues(prefixed, { prep: input })}`,
  );
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
  // refuse before loading any model
  const replaced = checkOutDir(
    outDir,
    datasetDir,
    options.overwrite ?? false,
    options.discardEdits ?? false,
    (line) => options.onMessage?.(line),
  );
  const plan = planAnalysisThreads(config.workers, files.length, canUseWorkers(options));
  const tooMany = workersWarning(config.workers, plan.analysers);
  if (tooMany) options.onMessage?.(tooMany);
  // the workers load their code and OpenCV while this thread resolves (and opens) the stages; alone,
  // this thread runs its networks on inference threads and analyses several files at once
  const threads = startAnalysisThreads(plan);
  let staging: string | undefined;
  const madeOutDir = !existsSync(outDir);
  try {
    const stages = await resolveStages(options, config);
    staging = await prepareOutDir(outDir, (line) => options.onMessage?.(line));
    const words = options.stageWords ?? CLI_STAGE_WORDS;
    for (const line of stages.announcements) options.onMessage?.(reasonInWords(line, words));
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
            : stageChoice('mask-parts', ['split by separate mask parts; ', ...reasonOf(stages.person.choice)])
          : null,
        captioner: captionFailure
          ? fallenBackCaptioner(stages.captioner.choice, captionFailure)
          : stages.captioner.choice,
      },
      cancelled,
      files: done,
    });
    if (cancelled && manifest.summary.crops === 0 && replaced.files.length === 0) {
      // stopped before its first crop: nothing written, the output folder stays as it was (one this run made is
      // removed), so the same command runs again without --overwrite
      await discardStaging(outDir, staging, madeOutDir);
      return { outDir, datasetDir: null, manifestPath: null, manifest, keptPrevious: false, notProcessed };
    }
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
  } catch (error) {
    // a full disk stops the run at the first file it cannot write (finish-file.ts): keep nothing of it
    if (staging === undefined || !isDiskFullError(error)) throw error;
    await discardStaging(outDir, staging, madeOutDir);
    throw prepDiskFullError(outDir, error);
  } finally {
    if (staging !== undefined) releaseStaging(staging); // a failed run's staging folder counts as a killed run's
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
        reason: entry.reasonParts
          ? reasonInWords(entry.reasonParts, options.stageWords ?? CLI_STAGE_WORDS)
          : entry.reason,
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

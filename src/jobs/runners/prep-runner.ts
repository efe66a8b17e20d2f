// src/jobs/runners/prep-runner.ts — the `prep` job: a character's uploads -> runPrep (src/prep) into
// the job's folder -> a dataset version in the store (items with their stage images and quality warnings,
// skipped files with reasons); the crops' quality warnings also go to the job's log as warnings. Trigger
// and class word come from the character.
import { copyFile, link, mkdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ToonloraError } from '../../errors.js';
import { type PrepProgress, type PrepResult, runPrep } from '../../prep/pipeline.js';
import {
  type Character,
  type PrepJobParams,
  prepJobParamsSchema,
  type UploadedImage,
} from '../../schemas/api.js';
import type { Manifest } from '../../schemas/manifest.js';
import type { DatasetItemStages, NewDatasetItem } from '../catalog/datasets.js';
import { jobRelDir } from '../data-layout.js';
import { fitFileName, MAX_NAME_BYTES } from '../file-name-bytes.js';
import type { JobContext, StopReason } from '../job-queue.js';
import type { RunnerDeps } from './default-runners.js';
import { prepJobDirs, removePrepLeftovers } from './prep-leftovers.js';
import { WEB_STAGE_WORDS, webReason } from '../web-stage-words.js';
import { parseStoredJobParams } from '../stored-job-params.js';
import { checkCharacterWords } from '../character-words.js';

/**
 * `007-name.png`: the input name runPrep sees (it names crops after it); index keeps names unique. The
 * stem is cut to fit MAX_NAME_BYTES in UTF-8 (a long non-ASCII upload name would fail the copy with
 * ENAMETOOLONG and the whole job with it).
 */
export function inputName(index: number, image: Pick<UploadedImage, 'format' | 'originalName'>): string {
  const ext = image.format === 'jpeg' ? 'jpg' : image.format;
  const stem = image.originalName.replace(/\.[^.]*$/, '') || 'image';
  return fitFileName(`${String(index + 1).padStart(3, '0')}-${stem}.${ext}`, MAX_NAME_BYTES);
}

/** Links (or copies) the uploads into `<job>/inputs/` under readable names; returns path -> image. */
async function stageInputs(deps: RunnerDeps, images: readonly UploadedImage[], inputsDir: string) {
  await mkdir(inputsDir, { recursive: true });
  const byPath = new Map<string, UploadedImage>();
  for (const [index, image] of images.entries()) {
    const target = join(inputsDir, inputName(index, image));
    await stageInput(deps.catalog.imageFilePath(image.id), target, image.originalName);
    byPath.set(target, image);
  }
  return byPath;
}

/**
 * Links (or copies) one upload to `target`.
 * @throws ToonloraError TL_ERR_INPUT_NOT_FOUND naming the screenshot by its upload name when its stored file is
 *   gone (deleted on disk): the job failed with "internal error; see the server log" before.
 */
export async function stageInput(stored: string, target: string, originalName: string): Promise<void> {
  try {
    await link(stored, target).catch(() => copyFile(stored, target));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new ToonloraError(
      'TL_ERR_INPUT_NOT_FOUND',
      `the screenshot ${originalName} is missing from the server's data folder (its file was deleted). Remove it on the Screenshots page and upload it again.`,
      { cause: error },
    );
  }
}

/**
 * What each name prep gave a file stands for, as the user uploaded it: the staged input's name (`013-x.jpg`, the
 * upload `x.png`) and each crop's dataset path (`10_sks girl/001-orient6.png`, cut from the upload `orient6.jpg`;
 * a strip's or page's crop with its panel, `page.png, panel 1`, as the skipped list names panels).
 */
function uploadNames(manifest: Manifest, uploadName: (source: string) => string): Map<string, string> {
  const names = new Map<string, string>();
  for (const file of manifest.files) {
    const name = uploadName(file.source);
    names.set(file.source.split('/').pop() ?? file.source, name);
    for (const crop of file.crops) {
      names.set(crop.image, crop.panel !== undefined ? `${name}, panel ${crop.panel}` : name);
    }
  }
  return names;
}

/**
 * A reason as the user knows the files: without the leading `<staged input name>: ` (the list names the upload
 * beside it), and a crop it names (`near-duplicate of 10_sks girl/001-orient6.png`) by the upload it was cut from.
 */
function inUploadNames(reason: string, source: string, names: ReadonlyMap<string, string>): string {
  const prefix = `${source.split('/').pop()}: `;
  let text = reason.startsWith(prefix) ? reason.slice(prefix.length) : reason;
  // longest first: a dataset path holds its input's name
  for (const [stored, upload] of [...names].sort((a, b) => b[0].length - a[0].length)) {
    text = text.split(stored).join(upload);
  }
  return text;
}

/** A text-removal warning's pointer to its stage image in the job folder (src/prep/erased-character.ts). */
const STAGE_IMAGE_CHECK = /check \S.*text-removed\.png$/;

/**
 * A crop's quality warning in the web app's words: its stage image as the page shows it ("see the row's text removed
 * image" on a dataset row, the Dataset page in the job's log), not a path in the server's job folder.
 */
export function warningInWebWords(warning: string, where: 'row' | 'log'): string {
  const see =
    where === 'row' ? "see the row's text removed image" : 'see its text removed image on the Dataset page';
  return warning.replace(STAGE_IMAGE_CHECK, see);
}

/** Dataset items and skipped files from a manifest (pure apart from the lookups it is given). */
export function datasetFromManifest(
  manifest: Manifest,
  jobDir: string,
  uploadFor: (source: string) => { name: string; storedPath: string } | undefined,
): { items: NewDatasetItem[]; skipped: Array<{ source: string; status: string; reason: string }> } {
  const items: NewDatasetItem[] = [];
  const skipped: Array<{ source: string; status: string; reason: string }> = [];
  const inJob = (rel: string | undefined) => (rel ? `${jobDir}/${rel}` : null);
  const uploadName = (source: string) => uploadFor(source)?.name ?? source.split('/').pop() ?? source;
  const names = uploadNames(manifest, uploadName);
  for (const file of manifest.files) {
    const upload = uploadFor(file.source);
    const name = uploadName(file.source);
    if (file.status !== 'ok') {
      skipped.push({
        source: name,
        status: file.status,
        reason: inUploadNames(
          file.reasonParts
            ? webReason(file.reasonParts)
            : (file.reason ?? file.reasonCode ?? 'no reason given'),
          file.source,
          names,
        ),
      });
      continue;
    }
    for (const [index, crop] of file.crops.entries()) {
      const stages: DatasetItemStages = {
        original: upload?.storedPath ?? null,
        textRemoved: inJob(file.stages?.textRemoved),
        mask: inJob(file.stages?.characterMask ?? file.stages?.textMask),
        crop: inJob(crop.stageCrop ?? file.stages?.crop?.[index]),
      };
      const key =
        crop.image
          .split('/')
          .pop()
          ?.replace(/\.[^.]*$/, '') ?? crop.image;
      // a strip's crop: its panel's box, for the review to show that region of the strip's stage images
      const panelBox = crop.panel !== undefined ? file.panels?.[crop.panel - 1] : undefined;
      items.push({
        key,
        source: name,
        imagePath: `${jobDir}/${crop.image}`,
        caption: crop.caption,
        stages,
        warnings: crop.warnings.map((warning) => warningInWebWords(warning, 'row')),
        panel: crop.panel !== undefined && panelBox ? { index: crop.panel, box: { ...panelBox } } : null,
      });
    }
    for (const rejected of file.rejected) {
      // a strip's panels all name the strip: the panel says which one (as the item rows do)
      const source = rejected.panel !== undefined ? `${name}, panel ${rejected.panel}` : name;
      skipped.push({
        source,
        status: 'rejected crop',
        reason: inUploadNames(rejected.reason, file.source, names),
      });
    }
  }
  return { items, skipped };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A file's status line as it finishes: its status, its reason, and how many quality warnings its crops got. */
export function prepFileMessage(
  name: string,
  file: Pick<PrepProgress, 'status' | 'reason' | 'warnings'>,
): string {
  const reason = file.reason ? ` (${file.reason})` : '';
  const warned = file.warnings.length > 0 ? `, ${plural(file.warnings.length, 'quality warning')}` : '';
  return `${name}: ${file.status}${reason}${warned}`;
}

/** The job's last status line: the whole run, with its crops' quality warnings counted when there are any. */
export function prepSummaryMessage(summary: Manifest['summary']): string {
  const counts = `(${summary.ok} ok, ${summary.skipped} skipped, ${summary.error} failed)`;
  const warned =
    summary.warnings > 0 ? `, ${plural(summary.warnings, 'quality warning')} (listed below)` : '';
  return `${plural(summary.crops, 'crop')} from ${plural(summary.files, 'screenshot')} ${counts}${warned}`;
}

/** One line per crop quality warning, `<upload name>: <warning>` (the upload's name as the user gave it). */
export function cropWarningLines(
  manifest: Manifest,
  nameFor: (source: string) => string | undefined,
): string[] {
  return manifest.files.flatMap((file) => {
    const name = nameFor(file.source) ?? file.source.split('/').pop() ?? file.source;
    return file.crops.flatMap((crop) =>
      crop.warnings.map((warning) => `${name}: ${warningInWebWords(warning, 'log')}`),
    );
  });
}

/**
 * Whether the prep run's dataset becomes a dataset version: always for a run nobody stopped; for a stopped one
 * only when a server shutdown (serve's Ctrl-C) reached it after every file had been processed, so its dataset is
 * complete (the job then succeeds). A user's cancel, a kill, or a file left unprocessed keeps nothing.
 */
export function keepsStoppedRun(
  context: Pick<JobContext, 'signal' | 'kill'>,
  result: Pick<PrepResult, 'notProcessed' | 'keptPrevious'>,
): boolean {
  if (!context.signal.aborted) return true;
  const reason: StopReason = context.signal.reason;
  return reason === 'shutdown' && !context.kill.aborted && result.notProcessed === 0 && !result.keptPrevious;
}

export function createPrepRunner(deps: RunnerDeps) {
  return async (context: JobContext): Promise<Record<string, unknown>> => {
    const { job } = context;
    const params: PrepJobParams = parseStoredJobParams(prepJobParamsSchema, job);
    const character = deps.catalog.getCharacter(job.characterId);
    checkCharacterWords(character); // an older toonlora's word: said in web words, before anything is copied
    const all = deps.catalog.listImages(character.id);
    const images = params.imageIds ? all.filter((image) => params.imageIds?.includes(image.id)) : all;
    const jobDir = jobRelDir(job.id);
    const { outDir, inputsDir } = prepJobDirs(deps.dataDir, job.id);
    let keptDataset = false;
    try {
      const result = await prepIntoDataset(deps, context, {
        params,
        character,
        images,
        jobDir,
        outDir,
        inputsDir,
      });
      keptDataset = true;
      return result;
    } finally {
      // a cancelled or failed run keeps nothing: no dataset version points at its partial dataset folder
      await removePrepLeftovers(inputsDir, outDir, keptDataset);
    }
  };
}

async function prepIntoDataset(
  deps: RunnerDeps,
  context: JobContext,
  where: {
    params: PrepJobParams;
    character: Character;
    images: readonly UploadedImage[];
    jobDir: string;
    outDir: string;
    inputsDir: string;
  },
): Promise<Record<string, unknown>> {
  const { job } = context;
  const { params, character, images, jobDir, outDir, inputsDir } = where;
  const byPath = await stageInputs(deps, images, inputsDir);
  context.progress({ step: 0, total: images.length, message: 'loading the prep stages' });
  const result = await runPrep({
    inputs: [...byPath.keys()],
    outDir,
    overwrite: true,
    saveStages: true,
    config: { ...params.options, trigger: character.trigger, classWord: character.classWord },
    signal: context.signal,
    ...(deps.modelCache ? { cache: deps.modelCache } : {}),
    onMessage: (message) => context.emit({ type: 'log', level: 'info', message }),
    stageWords: WEB_STAGE_WORDS, // its announced stage choices show on the Upload page
    onProgress: (p) =>
      context.progress({
        step: p.done,
        total: p.total,
        message: prepFileMessage(byPath.get(p.source)?.originalName ?? p.source, p),
      }),
  });
  if (!keepsStoppedRun(context, result)) throw new Error('prep cancelled');
  // the status line's last word: the whole run, not the last file's result
  const { summary } = result.manifest;
  const nameFor = (source: string) => byPath.get(source)?.originalName;
  // each crop's quality warning, as a warning under the job's status line (they left the file's reason)
  for (const message of cropWarningLines(result.manifest, nameFor)) {
    context.emit({ type: 'log', level: 'warn', message });
  }
  context.progress({ step: summary.files, total: summary.files, message: prepSummaryMessage(summary) });
  const datasetRel = `${jobDir}/dataset`;
  const { items, skipped } = datasetFromManifest(result.manifest, datasetRel, (source) => {
    const image = byPath.get(source);
    if (!image) return undefined;
    const stored = relative(deps.dataDir, deps.catalog.imageFilePath(image.id)).split('\\').join('/');
    return { name: image.originalName, storedPath: stored };
  });
  const dataset = deps.catalog.createDataset({
    characterId: character.id,
    jobId: job.id,
    dir: datasetRel,
    items,
    skipped,
  });
  return { datasetId: dataset.id, summary: result.manifest.summary, stages: result.manifest.stages };
}

// src/worker/train-paths.ts — the checks of a train run's own paths before the worker starts: the dataset folder,
// and the run folder (writable, not being written by another train run, holding nothing this run would write over).
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ToonloraError } from '../errors.js';
import { checkOutputFolder } from '../output-folder.js';
import { kohyaFilePath } from './kohya-file.js';
import { checkNoEarlierRun } from './run-folder.js';
import { checkRunNotLocked } from './run-lock.js';

const KOHYA_FOLDER = /^(\d+)_(.+)$/;

/**
 * @throws TL_ERR_INPUT_NOT_FOUND when `datasetDir` does not exist; TL_ERR_INPUT_INVALID when it is a file (an image
 *   or a caption of the dataset, given instead of its folder), naming the folder it sits in.
 */
export function checkDataset(datasetDir: string): void {
  if (!existsSync(datasetDir)) {
    throw new ToonloraError(
      'TL_ERR_INPUT_NOT_FOUND',
      `${datasetDir}: dataset folder not found. Give the folder \`toonlora prep\` wrote.`,
    );
  }
  if (!statSync(datasetDir).isDirectory()) {
    throw new ToonloraError(
      'TL_ERR_INPUT_INVALID',
      `${datasetDir}: this is a file, not a folder: train takes the dataset folder \`toonlora prep\` wrote (the one ` +
        `holding the \`<repeats>_<trigger> <class>\` folders), not a file in it. Did you mean ${datasetFolderOf(datasetDir)}?`,
      { details: { file: datasetDir } },
    );
  }
}

/** The dataset folder a file given instead sits in: above its kohya folder (`out/10_sks girl/a.png` -> `out`). */
function datasetFolderOf(file: string): string {
  const parent = dirname(resolve(file));
  return KOHYA_FOLDER.test(basename(parent)) ? dirname(parent) : parent;
}

/** The paths a run is given: the dataset, and (a real run) the run folder with what it may already hold. */
export interface TrainingPaths {
  /**
   * kohya layout: `<repeats>_<trigger> <class>/name.png + name.txt`; or one such folder itself (the `dataset:` path
   * prep prints), trained alone with its repeats (trainer data.py scan_kohya_dataset).
   */
  readonly datasetDir: string;
  readonly runDir?: string;
  /** Continue from the newest checkpoint in runDir/checkpoints. */
  readonly resume?: boolean;
  /** Whether the run writes the kohya file (default true). */
  readonly kohya?: boolean;
}

/**
 * Everything about the paths that can be checked before the worker loads a model, in the order the user gave them:
 * the dataset folder, then the run folder (when given: a dry run has none). The one check of them: the CLI runs it
 * first, before the base model's checks, so that the user's own paths are named first; runTraining runs the same
 * checks, the run folder's contents only once it holds the run lock. A live run lock on the run folder is
 * reported before its contents (read only: the lock is taken by runTraining).
 * @throws TL_ERR_INPUT_NOT_FOUND / TL_ERR_INPUT_INVALID (checkDataset), TL_ERR_USAGE (the run folder is a file or
 *   not writable), TL_ERR_CONFLICT (a train run holds the run folder's lock: run-lock.ts), TL_ERR_OUTPUT_EXISTS (a trained LoRA, the kohya file or an earlier run's checkpoints there,
 *   without resume)
 */
export function checkTrainingPaths(options: TrainingPaths): void {
  checkDataset(options.datasetDir);
  if (options.runDir === undefined) return;
  checkOutputFolder(options.runDir, { kind: 'writable-output', folder: 'run' });
  checkRunNotLocked(options.runDir); // a run writing there now is the news, not the checkpoints it has written
  checkRunFolder({ ...options, runDir: options.runDir });
}

/** What the run folder holds that this run would write over (runTraining checks it again holding the run lock). */
export function checkRunFolder(options: TrainingPaths & { readonly runDir: string }): void {
  if (options.resume) return;
  if (existsSync(join(options.runDir, 'adapter_model.safetensors'))) {
    throw new ToonloraError('TL_ERR_OUTPUT_EXISTS', `${options.runDir}: already holds a trained LoRA.`, {
      fix: { kind: 'resume-or-new-run' },
    });
  }
  const kohyaFile = kohyaFilePath(options.runDir);
  if (options.kohya !== false && existsSync(kohyaFile)) {
    throw new ToonloraError(
      'TL_ERR_OUTPUT_EXISTS',
      `${kohyaFile}: already exists, and this run would write its LoRA file there. Move that file away, or choose another -o.`,
    );
  }
  checkNoEarlierRun(options.runDir);
}

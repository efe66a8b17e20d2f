// src/worker/run-folder.ts — the checkpoints a training run folder already holds,
// read the way the trainer writes them (trainer/toonlora_trainer/checkpoint.py), so `train` can refuse to mix a new
// run into an earlier one and a stopped run can name the checkpoint that is really on disk; and an earlier run's
// sample images, kept out of the new run's way.
import { existsSync, readdirSync, renameSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { ToonloraError } from '../errors.js';

/** checkpoint.py CHECKPOINT_PATTERN: `step-` and the step, zero-padded to 6 digits or more. */
export const CHECKPOINT_FOLDER = /^step-(\d{6,})$/;
/** A checkpoint folder the trainer is still writing (checkpoint.py save_checkpoint), renamed to step-NNNNNN when done. */
export const PARTIAL_CHECKPOINT_FOLDER = /^\.step-\d{6,}\.partial$/;
/**
 * checkpoint.py TRAINING_STATE: the resume-only state (optimizer, scheduler, RNG); a checkpoint folder is
 * complete once this file is in it (it is renamed into place).
 */
export const TRAINING_STATE_FILE = 'training_state.pt';

/** One complete checkpoint folder of a run. */
export interface CheckpointOnDisk {
  readonly step: number;
  /** `<run-dir>/checkpoints/step-000010`. */
  readonly path: string;
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** The highest-step complete checkpoint under `runDir/checkpoints` (checkpoint.py latest_checkpoint), or null. */
export function newestCheckpoint(runDir: string): CheckpointOnDisk | null {
  const root = join(runDir, 'checkpoints');
  if (!isDirectory(root)) return null;
  let newest: CheckpointOnDisk | null = null;
  for (const name of readdirSync(root)) {
    const match = CHECKPOINT_FOLDER.exec(name);
    const path = join(root, name);
    if (!match || !existsSync(join(path, TRAINING_STATE_FILE))) continue;
    const step = Number(match[1]);
    if (!newest || step > newest.step) newest = { step, path };
  }
  return newest;
}

/**
 * Refuses a run folder that holds an earlier run's checkpoints when this run does not `--resume` it: a new run
 * there would overwrite that run's samples and checkpoints of the same step, mix its own checkpoints with the other
 * run's (a later `--resume` would continue whichever is newest), and `--keep-checkpoints` would delete the other
 * run's. Sample images alone (a run that stopped before its first checkpoint) are not refused: a server job's
 * retry starts over in its own folder then (src/jobs/embedded-queue.ts resumes only from a checkpoint); the new run
 * moves them aside first (setAsideEarlierSamples), so none is written over.
 * @throws TL_ERR_OUTPUT_EXISTS naming the newest checkpoint and the fix.
 */
export function checkNoEarlierRun(runDir: string): void {
  const checkpoint = newestCheckpoint(runDir);
  if (checkpoint) {
    throw new ToonloraError(
      'TL_ERR_OUTPUT_EXISTS',
      `${runDir}: holds an earlier run's checkpoints (newest: ${checkpoint.path}, step ${checkpoint.step}).`,
      { details: { checkpoint: checkpoint.path }, fix: { kind: 'resume-or-new-run' } },
    );
  }
  const incomplete = incompleteCheckpoints(runDir);
  if (incomplete.length > 0) {
    throw new ToonloraError(
      'TL_ERR_OUTPUT_EXISTS',
      `${runDir}: holds incomplete checkpoint folders of an earlier run (${incomplete.join(', ')}: no ${TRAINING_STATE_FILE}), ` +
        'which this run would write over. Move them out of the checkpoints folder, or choose another -o.',
    );
  }
  for (const file of RUN_FOLDER_FILES) {
    const path = join(runDir, file);
    if (existsSync(path)) {
      throw new ToonloraError(
        'TL_ERR_OUTPUT_EXISTS',
        `${path}: already exists, and this run would write over it. Move that file away, or choose another -o.`,
      );
    }
  }
}

/**
 * Files a run writes into its folder besides the adapter weights and the kohya file (which train.ts checks): the
 * PEFT adapter config (checkpoint.py save_adapter) and the text-encoder adapter. A user's file of the same name is
 * refused, not replaced. An earlier `samples/` is moved aside (setAsideEarlierSamples); `checkpoints/` is checked above.
 */
export const RUN_FOLDER_FILES = [
  'adapter_config.json',
  join('text_encoder', 'adapter_model.safetensors'),
  join('text_encoder', 'adapter_config.json'),
] as const;

/** The `step-NNNNNN` folders under `runDir/checkpoints` with no training state: cut short by something else. */
export function incompleteCheckpoints(runDir: string): string[] {
  const root = join(runDir, 'checkpoints');
  if (!isDirectory(root)) return [];
  return readdirSync(root)
    .filter((name) => CHECKPOINT_FOLDER.test(name))
    .sort()
    .map((name) => join(root, name))
    .filter((path) => isDirectory(path) && !existsSync(join(path, TRAINING_STATE_FILE)));
}

/**
 * A warning when the run folder is the dataset folder or inside it: the adapter, checkpoints and sample images
 * would land among the training images (a later scan reads `samples/` as a misnamed folder), so the user should
 * choose a folder beside the dataset. Null otherwise.
 */
export function runInsideDatasetWarning(runDir: string, datasetDir: string): string | null {
  const run = resolve(runDir);
  const dataset = resolve(datasetDir);
  const inside = relative(dataset, run);
  if (inside.startsWith('..') || isAbsolute(inside)) return null;
  return `${run}: the run folder is ${inside === '' ? 'the dataset folder' : 'inside the dataset folder'} ${dataset}, so the adapter, checkpoints and sample images are written among the training images. Choose an -o outside the dataset.`;
}

/** The folder the trainer writes sample images into (train.py _emit_samples). */
export const SAMPLES_FOLDER = 'samples';

/**
 * Before a new run (no --resume) in a folder whose `samples/` holds an earlier run's images (one stopped before its
 * first checkpoint, which checkNoEarlierRun lets through): moves that folder to `samples-earlier` (`-2`, `-3`, ...:
 * the first name free), so the new run's samples, named by step and seed as the earlier ones, write over none of
 * them. Returns the warning that says so, or null when there is nothing to move (no folder, or an empty one).
 */
export function setAsideEarlierSamples(runDir: string): string | null {
  const samples = join(runDir, SAMPLES_FOLDER);
  if (!isDirectory(samples)) return null;
  const files = readdirSync(samples).length;
  if (files === 0) return null;
  let n = 1;
  const name = () => join(runDir, `${SAMPLES_FOLDER}-earlier${n === 1 ? '' : `-${n}`}`);
  while (existsSync(name())) n += 1;
  const target = name();
  renameSync(samples, target);
  return (
    `${samples} held ${files} file(s) of an earlier run that stopped before its first checkpoint (nothing to ` +
    `resume): moved to ${target}, so this run's sample images write over none of them`
  );
}

// src/lora/convert-facts.ts — the training facts `convert --metadata-from` writes into kohya metadata:
// validates them, names the output after its file when no name is given, and finds the run folder's
// own training record (the kohya file `train` wrote beside the adapter), whose facts fill those the
// given file lacks (and, with no file given, are every fact written); a checkpoint folder of the run carries the
// record too, at its own step. Only facts given or recorded are written, never a schema default (convert-plan.ts
// factsOverFileMetadata). The record is read here, at the edge; the rest is pure.
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ToonloraError } from '../errors.js';
import { kohyaTrainingMetadata } from './convert-plan.js';
import {
  type LoraTrainingFacts,
  type LoraTrainingFactsInput,
  loraTrainingFactsSchema,
} from './kohya-metadata.js';
import { openSafetensors } from './safetensors-read.js';

/** The validated training facts, if given; TL_ERR_USAGE naming the field otherwise. */
export function parseTrainingFacts(given: LoraTrainingFactsInput | undefined): LoraTrainingFacts | undefined {
  if (!given) return undefined;
  const parsed = loraTrainingFactsSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `metadata: ${issue?.path.join('.') || 'facts'}: ${issue?.message}. Fix the --metadata-from JSON.`,
      { details: { field: issue?.path.join('.') } },
    );
  }
  return parsed.data;
}

/**
 * The facts as given; when neither the source nor the run's record (`known`: whichever convert lays the
 * facts over) has kohya metadata and no `outputName` is given, the output file's name without
 * extension, as kohya's ss_output_name is its file's name. A recorded ss_output_name is never replaced unasked.
 */
export function givenTrainingFacts(
  given: LoraTrainingFactsInput | undefined,
  output: string,
  known: Readonly<Record<string, string>>,
): LoraTrainingFactsInput | undefined {
  if (!given || given.outputName !== undefined) return given;
  if (Object.keys(kohyaTrainingMetadata(known)).length > 0) return given;
  const stem = basename(output).replace(/\.safetensors$/i, '');
  return stem ? { ...given, outputName: stem } : given;
}

/** Where a training run's WebUI / kohya file goes: `<run-dir>/<run-dir name>.safetensors` (train writes it there). */
export function runKohyaFilePath(runDir: string): string {
  return join(runDir, `${basename(resolve(runDir))}.safetensors`);
}

/** A checkpoint folder's name, `step-000250` (trainer/toonlora_trainer/checkpoint.py), and its step. */
const CHECKPOINT_FOLDER = /^step-(\d{6,})$/;

/**
 * The kohya file `train` wrote into a run folder, for an input that is a run folder, its adapter_model.safetensors,
 * or a checkpoint of it (`<run>/checkpoints/step-NNNNNN/`, the folder or its adapter file); `step` for a checkpoint.
 */
function runRecordPath(input: string, isFolder: boolean): { path: string; step?: number } | undefined {
  const folder = isFolder
    ? input
    : basename(input) === 'adapter_model.safetensors'
      ? dirname(input)
      : undefined;
  if (folder === undefined) return undefined;
  const full = resolve(folder);
  const checkpoint = CHECKPOINT_FOLDER.exec(basename(full));
  if (checkpoint && basename(dirname(full)) === 'checkpoints') {
    return { path: runKohyaFilePath(dirname(dirname(full))), step: Number(checkpoint[1]) };
  }
  return { path: runKohyaFilePath(folder) };
}

/**
 * A run's record as one of its checkpoints carries it: the checkpoint's step (ss_steps), its epoch where the record
 * tells the steps per epoch (the run's ss_steps over ss_epoch, a whole number: the epoch that step falls in, as
 * kohya names a save mid-epoch; else none, not the run's last), and no ss_training_finished_at (the run's end). Pure.
 */
export function checkpointRecord(
  record: Readonly<Record<string, string>>,
  step: number,
): Record<string, string> {
  const { ss_training_finished_at: _finished, ss_epoch: _epoch, ...kept } = record;
  const steps = Number(record.ss_steps);
  const epochs = Number(record.ss_epoch);
  const perEpoch =
    Number.isInteger(steps) && Number.isInteger(epochs) && epochs > 0 ? steps / epochs : Number.NaN;
  const epoch = Number.isInteger(perEpoch) && perEpoch > 0 ? Math.ceil(step / perEpoch) : undefined;
  return {
    ...kept,
    ss_steps: String(step),
    ...(epoch === undefined ? {} : { ss_epoch: String(Math.min(epoch, epochs)) }),
  };
}

/** The run folder's training record: its kohya file's ss_* / modelspec.* (none when absent or unreadable, with a warning then). */
export interface RunRecord {
  readonly metadata?: Record<string, string>;
  readonly warning?: string;
}

/**
 * Reads the training record of the run folder `input` names, when the source adapter has no kohya
 * metadata of its own (a file that has keeps it, and no record is read).
 */
export async function readRunRecord(
  input: string,
  sourceMetadata: Readonly<Record<string, string>>,
): Promise<RunRecord> {
  if (Object.keys(kohyaTrainingMetadata(sourceMetadata)).length > 0) return {};
  const info = await stat(input);
  const found = runRecordPath(input, info.isDirectory());
  const path = found?.path;
  if (
    !path ||
    !(await stat(path).then(
      (s) => s.isFile(),
      () => false,
    ))
  )
    return {};
  try {
    const reader = await openSafetensors(path);
    await reader.close();
    const recorded = kohyaTrainingMetadata(reader.header.metadata);
    if (Object.keys(recorded).length === 0) return {};
    return { metadata: found?.step === undefined ? recorded : checkpointRecord(recorded, found.step) };
  } catch (error) {
    return {
      warning: `${path}: the run's own kohya file could not be read (${(error as Error).message}), so its training record (trigger, tags, steps) was not carried over.`,
    };
  }
}

// src/lora/convert-facts.ts — the training facts `convert --metadata-from` writes into kohya metadata:
// validates them, names the output after its file when no name is given, and finds the run folder's
// own training record (the kohya file `train` wrote beside the adapter), whose facts fill those the
// given file lacks (and, with no file given, are every fact written). Only facts given or recorded are written, never a schema default (convert-plan.ts
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

/** The kohya file `train` wrote into a run folder, for an input that is a run folder or its adapter_model.safetensors. */
function runRecordPath(input: string, isFolder: boolean): string | undefined {
  const folder = isFolder
    ? input
    : basename(input) === 'adapter_model.safetensors'
      ? dirname(input)
      : undefined;
  return folder === undefined ? undefined : runKohyaFilePath(folder);
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
  const path = runRecordPath(input, info.isDirectory());
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
    const metadata = kohyaTrainingMetadata(reader.header.metadata);
    return Object.keys(metadata).length > 0 ? { metadata } : {};
  } catch (error) {
    return {
      warning: `${path}: the run's own kohya file could not be read (${(error as Error).message}), so its training record (trigger, tags, steps) was not carried over.`,
    };
  }
}

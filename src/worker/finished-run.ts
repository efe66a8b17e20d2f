// src/worker/finished-run.ts — whether a `train --resume` has nothing to do: the run folder holds a run that finished
// the length asked for and every file it writes (the PEFT adapter after its last checkpoint, the text encoder's when
// trained, the kohya file recording that step). Then train says so and touches nothing: no worker, no base model,
// no file rewritten. A run with a file missing is not finished here: the worker writes the missing files from its
// last checkpoint (trainer/toonlora_trainer/train.py).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors } from '../lora/safetensors-read.js';
import type { TrainingConfig } from '../schemas/config.js';
import { kohyaFilePath } from './kohya-file.js';
import { newestCheckpoint, TRAINING_STATE_FILE } from './run-folder.js';

/** A finished run's files, as a --resume that has nothing to do reports them. */
export interface FinishedRun {
  readonly step: number;
  readonly checkpoint: string;
  readonly adapter: string;
  readonly textEncoderAdapter?: string;
  readonly kohyaFile?: string;
}

/** A file's modification time in ms, or undefined when it is not a file. */
function fileTime(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const info = statSync(path);
  return info.isFile() ? info.mtimeMs : undefined;
}

/** The kohya file's ss_* metadata, or undefined when it is missing or unreadable. */
async function kohyaRecord(path: string): Promise<Readonly<Record<string, string>> | undefined> {
  if (fileTime(path) === undefined) return undefined;
  try {
    const reader = await openSafetensors(path);
    await reader.close();
    return reader.header.metadata;
  } catch {
    return undefined;
  }
}

/**
 * The finished run in `runDir` when a --resume with `config` has nothing left to do, else undefined. Finished: the
 * newest checkpoint is at the length asked for (`steps`; with `epochs`, the kohya file's ss_epoch, as the step count
 * is only known once the worker reads the dataset), the adapter files were written after it, and (with `kohya`) the
 * kohya file records that step.
 */
export async function finishedRun(
  runDir: string,
  config: TrainingConfig,
  kohya: boolean,
): Promise<FinishedRun | undefined> {
  const newest = newestCheckpoint(runDir);
  if (!newest) return undefined;
  const savedAt = fileTime(join(newest.path, TRAINING_STATE_FILE)) ?? Number.POSITIVE_INFINITY;
  const adapter = join(runDir, 'adapter_model.safetensors');
  const textEncoderAdapter = join(runDir, 'text_encoder', 'adapter_model.safetensors');
  const written = [
    adapter,
    join(runDir, 'adapter_config.json'),
    ...(config.trainTextEncoder
      ? [textEncoderAdapter, join(runDir, 'text_encoder', 'adapter_config.json')]
      : []),
  ];
  if (written.some((path) => (fileTime(path) ?? Number.NEGATIVE_INFINITY) < savedAt)) return undefined;
  const kohyaFile = kohyaFilePath(runDir);
  const record = kohya ? await kohyaRecord(kohyaFile) : undefined;
  if (kohya && record?.ss_steps !== String(newest.step)) return undefined;
  const lengthReached =
    config.epochs === undefined ? config.steps === newest.step : record?.ss_epoch === String(config.epochs);
  if (!lengthReached) return undefined;
  return {
    step: newest.step,
    checkpoint: newest.path,
    adapter,
    ...(config.trainTextEncoder ? { textEncoderAdapter } : {}),
    ...(kohya ? { kohyaFile } : {}),
  };
}

// src/server/routes/loras/lora-files.ts — what deleting a LoRA removes from disk: its file and the converted copies
// downloads kept beside it; for a trained LoRA also the weights its train run kept in its run folder
// (<data>/jobs/<jobId>/<name>/: the PEFT adapter, the text encoder's adapter, every checkpoint, a remote worker's
// checkpoint zips), never the run's samples, its other files or anything outside that folder. The removal tries
// every path and returns those it could not remove, with why.
import { lstat, readdir, rm, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { jobRelDir } from '../../../jobs/data-layout.js';
import { loraFormatSchema } from '../../../schemas/api.js';
import { loraCopyPath } from '../../lora-downloads.js';

/** The stored file of a LoRA and every converted copy a download may have kept beside it (a peft folder too). */
export function loraFiles(path: string, storedFormat: string): string[] {
  const copies = loraFormatSchema.options.map((format) => loraCopyPath(path, format, storedFormat));
  return [...new Set([path, ...copies])];
}

/**
 * The weights a train run keeps in its folder besides the LoRA file: the final PEFT adapter and its config and the
 * text encoder's (trainer/toonlora_trainer/train.py, checkpoint.py save_adapter), and `checkpoints/`, each
 * `step-NNNNNN/` holding an adapter (src/jobs/checkpoint-state.ts keeps them after a run) and, unless removed
 * then, its training state. `samples/` and the rest of the folder stay: the Train page shows them.
 */
export const RUN_WEIGHTS = [
  'adapter_model.safetensors',
  'adapter_config.json',
  'text_encoder',
  'checkpoints',
] as const;

/** A remote job's checkpoint the server kept (src/jobs/remote/checkpoint-store.ts: the zip, or one being received). */
const WORKER_CHECKPOINT = /^(?:worker-checkpoint-step-\d{6,}\.zip|\.worker-checkpoint-.+\.partial)$/;

/**
 * The run folder of a LoRA a train job made: the folder of its file when that is `<dataDir>/jobs/<jobId>/<name>/`
 * (where local and remote runs put it); null for an uploaded LoRA (no job) or a file anywhere else.
 */
export function trainRunFolder(dataDir: string, jobId: string | null, file: string): string | null {
  if (!jobId) return null;
  const folder = dirname(resolve(file));
  const inJob = relative(resolve(dataDir, jobRelDir(jobId)), folder);
  if (inJob === '' || inJob.startsWith('..') || isAbsolute(inJob) || inJob.includes(sep)) return null;
  return folder;
}

/** The paths of the run's weights in `runDir` (RUN_WEIGHTS and the worker checkpoint zips there). */
export async function runWeightPaths(runDir: string): Promise<string[]> {
  const names = await readdir(runDir).catch(() => [] as string[]);
  const zips = names.filter((name) => WORKER_CHECKPOINT.test(name)).sort();
  return [...RUN_WEIGHTS, ...zips].map((name) => join(runDir, name));
}

/** A path a delete could not remove, and why (the error's message). */
export interface Leftover {
  path: string;
  error: string;
}

export type RemovePath = (path: string) => Promise<void>;

/** `rm -rf path`; a file (or link) is unlinked, so its error is the unlink's (EPERM), where fs.rm would report its
 * fallback's (ENOTDIR, scandir). A missing path is fine. */
const removePath: RemovePath = async (path) => {
  const stats = await lstat(path).catch(() => null);
  if (!stats) return;
  if (stats.isDirectory()) await rm(path, { recursive: true, force: true });
  else
    await unlink(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
};

/** Removes every path (a missing one is fine), going on past a failure; returns the paths that stay, with why. */
export async function removePaths(
  paths: readonly string[],
  remove: RemovePath = removePath,
): Promise<Leftover[]> {
  const leftovers: Leftover[] = [];
  for (const path of paths) {
    await remove(path).catch((error: unknown) => {
      leftovers.push({ path, error: error instanceof Error ? error.message : String(error) });
    });
  }
  return leftovers;
}

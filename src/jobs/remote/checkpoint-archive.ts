// src/jobs/remote/checkpoint-archive.ts — a checkpoint folder as the one file a remote worker uploads and the
// server keeps for a resume on any worker: a zip of the folder as the trainer writes it (adapter_model.safetensors,
// adapter_config.json, training_state.pt, text_encoder/ when trained; trainer/toonlora_trainer/checkpoint.py), its
// entries stored, not compressed (fp32 tensors barely compress; its size is then known before it is sent), streamed
// from disk. The server checks an upload holds a checkpoint before it keeps it.
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';
import yazl from 'yazl';
import { ToonloraError } from '../../errors.js';
import { TRAINING_STATE_FILE } from '../../worker/run-folder.js';
import { isSymlinkEntry } from './unzip.js';

/** checkpoint.py ADAPTER_WEIGHTS: without it (and the training state) a folder is not a checkpoint to resume. */
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';

/** The files under `folder`, as paths relative to it with `/` separators, sorted. */
async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(folder, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .sort();
}

/** `folder` (a checkpoint) as a zip stream and its size in bytes; a file that cannot be read (the trainer removed an
 * old checkpoint meanwhile) fails the stream. */
export async function zipCheckpoint(folder: string): Promise<{ stream: Readable; bytes: number }> {
  const files = await filesUnder(folder);
  if (!files.includes(TRAINING_STATE_FILE)) {
    throw new ToonloraError(
      'TL_ERR_INPUT_NOT_FOUND',
      `${folder}: no ${TRAINING_STATE_FILE}, not a checkpoint`,
    );
  }
  const zip = new yazl.ZipFile();
  const stream = zip.outputStream as unknown as Readable;
  zip.on('error', (error: Error) => stream.destroy(error));
  for (const file of files) zip.addFile(join(folder, file), file, { compress: false });
  const bytes = await new Promise<number>((resolve) => {
    // @types/yazl leaves out the size the callback is given (-1 when it cannot be known)
    (zip.end as (options: object, done: (size: number) => void) => void)({}, resolve);
  });
  return { stream, bytes };
}

function notACheckpoint(why: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_INPUT_INVALID',
    `the uploaded checkpoint is not a zip of a checkpoint folder (${why}); send the folder the run wrote.`,
  );
}

/** Checks that the zip at `path` holds a checkpoint: the adapter weights and the training state at its top, and
 * only relative paths, no symbolic link (it is unpacked into a run folder). Reads the zip's directory only. */
export async function checkCheckpointZip(path: string): Promise<void> {
  let zipfile: yauzl.ZipFile | undefined;
  const names: string[] = [];
  const links: string[] = [];
  try {
    zipfile = await yauzl.openPromise(path, { lazyEntries: true });
    for await (const entry of zipfile.eachEntry()) {
      names.push(entry.fileName);
      if (isSymlinkEntry(entry)) links.push(entry.fileName);
    }
  } catch (error) {
    throw notACheckpoint(error instanceof Error ? error.message : String(error));
  } finally {
    zipfile?.close();
  }
  const unsafe = names.find((name) => name.startsWith('/') || name.split('/').includes('..'));
  if (unsafe) throw notACheckpoint(`${JSON.stringify(unsafe)} is not a path inside the folder`);
  if (links[0] !== undefined) throw notACheckpoint(`${JSON.stringify(links[0])} is a symbolic link`);
  for (const needed of [ADAPTER_WEIGHTS_FILE, TRAINING_STATE_FILE]) {
    if (!names.includes(needed)) throw notACheckpoint(`no ${needed}`);
  }
}

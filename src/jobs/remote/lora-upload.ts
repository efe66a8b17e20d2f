// src/jobs/remote/lora-upload.ts — the server receiving a remote worker's finished LoRA (POST .../complete): the
// request body streamed into a temporary file in the run folder as it arrives (never held in memory), refused past
// a size limit while it streams, checked to be a safetensors file; any failure removes the file (once it is closed).
// A server killed mid-upload leaves the file: the next start removes it (removeWorkerLoraPartials).
import { randomUUID } from 'node:crypto';
import { createWriteStream, lstatSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ToonloraError } from '../../errors.js';
import { formatBytes } from '../../format-bytes.js';
import { jobRelDir } from '../data-layout.js';
import { byteLimit } from './checkpoint-store.js';
import { checkSafetensors } from './upload-checks.js';

const PARTIAL_SUFFIX = '.partial';
/** A LoRA upload's file in a run folder while it is received: only ever a half-received upload, never the user's. */
const PARTIAL_NAME = /^\.worker-lora-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.partial$/;

/** The real folders (not links) in `dir`, else none. */
function realFolders(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => lstatSync(join(dir, name)).isDirectory());
  } catch {
    return []; // not there, or not a folder
  }
}

/** The upload files' names in run folder `dir`; none when it cannot be read (gone meanwhile, no permission, a disk
 * error): skipped, as the screenshot sweep skips a folder it cannot read, so one bad folder does not end the start's
 * sweep (and lose its line) after files were removed. */
function partialNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter((entry) => PARTIAL_NAME.test(entry));
  } catch {
    return [];
  }
}

/** Removes the file at `path`: false when it cannot be (not counted; the next start tries again). */
function removed(path: string): boolean {
  try {
    rmSync(path, { force: true });
    return true;
  } catch {
    return false;
  }
}

/** What removeWorkerLoraPartials removed: how many files and bytes, from how many jobs' run folders. */
export interface FreedPartials {
  files: number;
  bytes: number;
  jobs: number;
}

/**
 * Removes the half-received LoRA uploads (`.worker-lora-<uuid>.partial`) a server stopped mid-upload left in the run
 * folders (`jobs/<id>/<run>/`) of the jobs in `listed`, when last written before `startedAt` (ms). Other files,
 * links, folders and the folders of jobs the database does not list are left alone; a run folder that cannot be
 * read, or a file that cannot be removed, is skipped and the sweep goes on.
 */
export function removeWorkerLoraPartials(
  dataDir: string,
  listed: ReadonlySet<string>,
  startedAt: number,
): FreedPartials {
  const freed: FreedPartials = { files: 0, bytes: 0, jobs: 0 };
  for (const jobId of listed) {
    const jobDir = join(dataDir, jobRelDir(jobId));
    let removedHere = 0;
    for (const run of realFolders(jobDir)) {
      for (const name of partialNames(join(jobDir, run))) {
        const path = join(jobDir, run, name);
        const file = lstatSync(path, { throwIfNoEntry: false });
        if (!file?.isFile() || file.mtimeMs >= startedAt || !removed(path)) continue;
        removedHere += 1;
        freed.bytes += file.size;
      }
    }
    freed.files += removedHere;
    if (removedHere > 0) freed.jobs += 1;
  }
  return freed;
}

/** One line for the server's start log. */
export function describeFreedPartials(freed: FreedPartials): string {
  const files = `${freed.files} half-received LoRA upload${freed.files === 1 ? '' : 's'} of a remote worker`;
  const jobs = `${freed.jobs} job${freed.jobs === 1 ? "'s" : "s'"} run folder${freed.jobs === 1 ? '' : 's'}`;
  return (
    `removed ${files} (.worker-lora-*.partial, left by a server stopped mid-upload) from ${jobs} ` +
    `(${formatBytes(freed.bytes)} freed)`
  );
}

/** The 413 for a LoRA upload over `maxBytes` (`bytes`: its size, when the request said it). */
export function loraTooLarge(maxBytes: number, bytes?: number): ToonloraError {
  const mib = (n: number) =>
    n >= 1_048_576 ? `${Math.round(n / 1_048_576)} MiB` : `${Math.round(n / 1024)} KiB`;
  return new ToonloraError(
    'TL_ERR_PAYLOAD_TOO_LARGE',
    `the LoRA upload${bytes === undefined ? '' : ` (${mib(bytes)})`} is larger than the server takes ` +
      `(${mib(maxBytes)}, as a LoRA uploaded on the LoRA page); the LoRA stays on the worker.`,
  );
}

/** Checks the start of the file at `path` (`bytes` long) is a safetensors header. */
async function checkSafetensorsFile(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(bytes, 9));
    await file.read(head, 0, head.length, 0);
    checkSafetensors(head, bytes);
  } finally {
    await file.close();
  }
}

/** Streams `body` into a temporary file in `runDir` (made if missing): its path once all arrived and checked. */
export async function receiveLora(runDir: string, body: Readable, maxBytes: number): Promise<string> {
  await mkdir(runDir, { recursive: true });
  const temporary = join(runDir, `.worker-lora-${randomUUID()}${PARTIAL_SUFFIX}`);
  const out = createWriteStream(temporary);
  try {
    // not pipeline(body, …): a refusal must not destroy the request, whose 413 is still to be answered (the route
    // closes the connection after it instead of reading the rest)
    const limit = byteLimit(maxBytes, loraTooLarge);
    body.once('error', (error) => limit.destroy(error));
    body.once('close', () => {
      if (!body.readableEnded) limit.destroy(new Error('the LoRA upload was cut off before its end'));
    });
    body.pipe(limit);
    await pipeline(limit, out);
    await checkSafetensorsFile(temporary, (await stat(temporary)).size);
    return temporary;
  } catch (error) {
    // a refusal may come before the file is even open (a slow disk): its removal waits for it to be closed, else
    // the open makes the file after it was removed
    if (!out.closed) await new Promise<void>((done) => out.once('close', () => done()));
    await rm(temporary, { force: true });
    throw error;
  }
}

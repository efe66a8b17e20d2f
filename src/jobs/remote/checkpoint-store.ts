// src/jobs/remote/checkpoint-store.ts — the server's copy of a remote job's newest checkpoint, so a resume
// continues from it on any worker (a cloud GPU is often gone for good once its lease lapses): one zip per job in its
// run folder (<data>/jobs/<id>/<lora name>/worker-checkpoint-step-NNNNNN.zip). An upload is streamed to a temporary
// file (never held in memory), refused past a size limit, checked to be a checkpoint zip, then renamed into place
// and every lower step deleted (one of a lower step than the kept one is dropped), so a reader never sees half a file.
// Beside it a note (worker-checkpoint.json: the step) records that the server kept one: it stays when the zip goes
// with the job's LoRA (a finished job needs none; deleting the LoRA removes only the zip), so a resume tells a
// checkpoint deleted with the LoRA (droppedCheckpointStep) from one that never reached the server. A start over
// forgets both.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { ToonloraError } from '../../errors.js';
import { checkCheckpointZip } from './checkpoint-archive.js';

const STORED = /^worker-checkpoint-step-(\d{6,})\.zip$/;
const PARTIAL = /^\.worker-checkpoint-.+\.partial$/;
/** The note that the server kept a checkpoint of the run (not a name src/server/routes/loras removes). */
export const KEPT_NOTE = 'worker-checkpoint.json';
const keptNoteSchema = z.object({ step: z.number().int().min(0) });

/** The zip's name for `step`: `worker-checkpoint-step-000250.zip`. */
export const storedCheckpointName = (step: number) =>
  `worker-checkpoint-step-${String(step).padStart(6, '0')}.zip`;

export interface StoredCheckpoint {
  step: number;
  bytes: number;
  /** Absolute path of the zip. */
  file: string;
}

/** The 413 for an upload over `maxBytes` (`bytes`: its size, when the request said it). */
export function checkpointTooLarge(maxBytes: number, bytes?: number): ToonloraError {
  const mib = (n: number) => `${Math.round(n / 1_048_576)} MiB`;
  return new ToonloraError(
    'TL_ERR_PAYLOAD_TOO_LARGE',
    `the checkpoint upload${bytes === undefined ? '' : ` (${mib(bytes)})`} is larger than the server takes ` +
      `(${mib(maxBytes)}); the checkpoint stays on the worker only: a resume continues from it on that machine.`,
  );
}

/** Passes the bytes through, failing with `tooLarge` (checkpointTooLarge) once more than `maxBytes` went by. */
export function byteLimit(maxBytes: number, tooLarge = checkpointTooLarge): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
}

/** The checkpoint kept in `runDir` (the highest step, should a crash have left two), or null. */
export async function storedCheckpoint(runDir: string): Promise<StoredCheckpoint | null> {
  const names = await readdir(runDir).catch(() => [] as string[]);
  let best: { step: number; name: string } | undefined;
  for (const name of names) {
    const match = STORED.exec(name);
    if (match && (!best || Number(match[1]) > best.step)) best = { step: Number(match[1]), name };
  }
  if (!best) return null;
  const file = join(runDir, best.name);
  const bytes = await stat(file).then(
    (s) => s.size,
    () => undefined,
  );
  return bytes === undefined ? null : { step: best.step, bytes, file };
}

/**
 * Streams `body` (a checkpoint zip) into `runDir` as the checkpoint of `step`: a temporary file first, refused over
 * `maxBytes` (413) or when it is not a checkpoint zip (422); then `keep()` throws when it is not to be kept (the lease
 * went away meanwhile: the file is dropped); then renamed into place, and of the kept checkpoints only the highest
 * step stays, which is answered.
 */
export async function storeCheckpoint(
  runDir: string,
  step: number,
  body: Readable,
  options: { maxBytes: number; keep: () => void },
): Promise<StoredCheckpoint> {
  await mkdir(runDir, { recursive: true });
  const temporary = join(runDir, `.worker-checkpoint-${randomUUID()}.partial`);
  const name = storedCheckpointName(step);
  const out = createWriteStream(temporary);
  try {
    // not pipeline(body, …): a refusal must not destroy the request (a server's request: that would reset the
    // connection before its 413 is answered); the route reads and drops the rest after answering
    const limit = byteLimit(options.maxBytes);
    body.once('error', (error) => limit.destroy(error));
    body.once('close', () => {
      if (!body.readableEnded) limit.destroy(new Error('the checkpoint upload was cut off before its end'));
    });
    body.pipe(limit);
    await pipeline(limit, out);
    await checkCheckpointZip(temporary);
    options.keep();
    await rename(temporary, join(runDir, name));
  } catch (error) {
    // a refusal may come before the file is even open: its removal waits for it to be closed
    if (!out.closed) await new Promise<void>((done) => out.once('close', () => done()));
    await rm(temporary, { force: true });
    throw error;
  }
  // the highest step stays (an upload of step 0 after step 10 does not replace it); not the temporary files: another
  // upload may be writing one
  const kept = (await storedCheckpoint(runDir)) ?? { step, bytes: 0, file: join(runDir, name) };
  for (const other of await readdir(runDir)) {
    if (other !== storedCheckpointName(kept.step) && STORED.test(other))
      await rm(join(runDir, other), { force: true });
  }
  await writeKeptNote(runDir, kept.step);
  return kept;
}

/** Records that the server keeps the checkpoint of `step` (a temporary name first: a crash leaves none or a whole
 * one). */
async function writeKeptNote(runDir: string, step: number): Promise<void> {
  const partial = join(runDir, `.${KEPT_NOTE}-${randomUUID()}.partial`);
  await writeFile(partial, `${JSON.stringify({ step })}\n`);
  await rename(partial, join(runDir, KEPT_NOTE));
}

/**
 * The step of the checkpoint the server kept for the run in `runDir` when it is gone (its note is there, its zip is
 * not: removed with the job's LoRA, src/server/routes/loras, or by hand), else undefined (one is kept, or none ever
 * reached the server, or the run started over since).
 */
export async function droppedCheckpointStep(runDir: string): Promise<number | undefined> {
  if (await storedCheckpoint(runDir)) return undefined;
  const text = await readFile(join(runDir, KEPT_NOTE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    raw = undefined;
  }
  const note = keptNoteSchema.safeParse(raw);
  // a note cut short still says one was kept: its step is unknown
  return note.success ? note.data.step : 0;
}

/** Deletes the kept checkpoint of `runDir` (the job succeeded, or starts over), with any temporary file left by a
 * server that stopped mid-upload; `forget` (a start over) removes the note that one was kept too. */
export async function removeStoredCheckpoints(runDir: string, forget = false): Promise<void> {
  const names = await readdir(runDir).catch(() => [] as string[]);
  for (const name of names) {
    if (STORED.test(name) || PARTIAL.test(name) || (forget && name === KEPT_NOTE))
      await rm(join(runDir, name), { force: true });
  }
}

// src/jobs/remote/lora-upload.ts — the server receiving a remote worker's finished LoRA (POST .../complete): the
// request body streamed into a temporary file in the run folder as it arrives (never held in memory), refused past
// a size limit while it streams, checked to be a safetensors file; any failure removes the file (once it is closed).
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ToonloraError } from '../../errors.js';
import { byteLimit } from './checkpoint-store.js';
import { checkSafetensors } from './upload-checks.js';

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
  const temporary = join(runDir, `.worker-lora-${randomUUID()}.partial`);
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

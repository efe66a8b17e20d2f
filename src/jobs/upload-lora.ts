// src/jobs/upload-lora.ts — a LoRA made elsewhere, uploaded for a character (POST /api/loras): the one file
// part is streamed to the character's `loras/` folder under a generated name (at most the byte limit), checked
// by the caller's LoRA check (src/server/lora-tools.ts: an SD1.5 LoRA generate can use), and recorded as a
// `lora` artifact the LoRA and Generate pages list. Anything refused leaves no file behind; a server killed
// meanwhile (kill -9) leaves the file with its `.uploading` mark, which the next start removes (upload-leftovers.ts).
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ToonloraError } from '../errors.js';
import { formatBinaryBytes } from '../format-bytes.js';
import type { Artifact } from '../schemas/api.js';
import type { CatalogStore } from './catalog-store.js';
import { characterRelDir, loraUploadRelPath, lorasRelDir } from './data-layout.js';
import { resolveDataPath } from './data-path.js';
import { displayName } from './file-name-bytes.js';
import { characterDeletedDuringUpload } from './upload-images.js';
import { clearUploadMarks, writeUploadMark } from './upload-leftovers.js';

/** The multipart field the LoRA upload reads (one file). */
export const LORA_UPLOAD_FIELD = 'file';

/** The one file part of the upload: what @fastify/multipart's `request.file()` gives. */
export interface LoraUploadPart {
  fieldname: string;
  filename: string;
  /** `truncated` is read once the stream ended: true when the file went over the byte limit. */
  file: NodeJS.ReadableStream & { truncated: boolean };
}

/** What the check learnt about a usable LoRA; kept as the artifact's meta. */
export type LoraUploadFacts = Record<string, unknown>;

/**
 * Checks the stored upload at `path` (shown to the user as `name`); resolves with the facts to keep, or throws
 * a ToonloraError whose message says why the file is refused.
 */
export type LoraUploadCheck = (path: string, name: string) => Promise<LoraUploadFacts>;

export interface LoraUploadTarget {
  catalog: Pick<CatalogStore, 'dataDir' | 'getCharacter' | 'addArtifact'>;
  characterId: string;
  maxBytes: number;
  check: LoraUploadCheck;
  /** The character's LoRA uploaded before with these bytes (sha256, hex: its `meta.sha256`), if any. */
  findUploaded?: (sha256: string) => Artifact | undefined;
}

/** What an upload stored: a new artifact, or the one uploaded before with the same bytes (`duplicate`). */
export interface StoredLora {
  artifact: Artifact;
  duplicate: boolean;
}

/** A pass-through stream that hashes what goes through it (sha256). */
function hashing(hash: ReturnType<typeof createHash>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
}

/** The artifact's name: the file name without `.safetensors` (the download adds it back). */
export function uploadedLoraName(fileName: string): string {
  return fileName.replace(/\.safetensors$/i, '').trim() || 'lora';
}

function noFile(): ToonloraError {
  return new ToonloraError(
    'TL_ERR_USAGE',
    `LoRA upload: no file; send multipart/form-data with one "${LORA_UPLOAD_FIELD}" part (e.g. curl -F ${LORA_UPLOAD_FIELD}=@mina.safetensors "http://127.0.0.1:7860/api/loras?characterId=<id>").`,
  );
}

/** A body that could not be read to its end (busboy's errors carry no status) is a 400; others as they are. */
function brokenBody(error: unknown): unknown {
  const { statusCode, syscall } = error as { statusCode?: number; syscall?: string };
  if (error instanceof ToonloraError || statusCode !== undefined || syscall !== undefined) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new ToonloraError(
    'TL_ERR_USAGE',
    `LoRA upload: the multipart body could not be read (${reason}); nothing was stored.`,
    { cause: error },
  );
}

/** Removes the `loras/` and character folders the upload's mkdir recreated for a deleted character, if empty. */
async function removeEmptyFolders(target: LoraUploadTarget): Promise<void> {
  const { dataDir } = target.catalog;
  for (const rel of [lorasRelDir(target.characterId), characterRelDir(target.characterId)]) {
    await rmdir(resolveDataPath(dataDir, rel)).catch(() => undefined);
  }
}

/**
 * The error to answer a failed upload with: as it is while the character exists; else the screenshot upload's
 * 404 saying the character was deleted meanwhile (DELETE /api/characters/:id does not wait for uploads, and its
 * folder removal takes the file being written: the check then failed on a missing file, and said so), after
 * removing the folders this upload's mkdir recreated.
 */
async function deletedMeanwhile(target: LoraUploadTarget, error: unknown): Promise<unknown> {
  try {
    target.catalog.getCharacter(target.characterId);
    return error;
  } catch (gone) {
    // a look-up that failed otherwise says nothing about the upload: its own error stays the answer
    if (!(gone instanceof ToonloraError && gone.code === 'TL_ERR_NOT_FOUND')) return error;
  }
  await removeEmptyFolders(target);
  return characterDeletedDuringUpload(target.characterId, error);
}

/**
 * After a failed upload, before its file is removed: a body not read at all (the folder or mark failed) is drained,
 * so the request ends and gets its answer; a body that broke before the file was even open waits for it to be
 * closed, else the open makes the file after it was removed.
 */
async function settleBody(body: LoraUploadPart['file'], out: WriteStream | undefined): Promise<void> {
  if (!out) body.resume();
  else if (!out.closed) await new Promise<void>((done) => out.once('close', () => done()));
}

/**
 * Stores an uploaded LoRA file for the character and records it as a `lora` artifact (meta: `uploaded`,
 * `originalName`, `sha256` and the check's facts), its `.uploading` mark beside it until then; the same bytes
 * uploaded again store nothing and give the artifact recorded before (`duplicate`), as screenshots are matched by
 * sha256.
 * @throws ToonloraError TL_ERR_USAGE (no file, another field, a broken body), TL_ERR_PAYLOAD_TOO_LARGE (over
 *   `maxBytes`), the check's refusal (TL_ERR_SAFETENSORS, TL_ERR_LORA_FORMAT: not a LoRA generate can use),
 *   TL_ERR_NOT_FOUND (the character was deleted meanwhile, whatever failed because of it: the screenshot
 *   upload's words); the stored file and its mark are removed first.
 */
export async function storeUploadedLora(
  part: LoraUploadPart | undefined,
  target: LoraUploadTarget,
): Promise<StoredLora> {
  if (!part) throw noFile();
  if (part.fieldname !== LORA_UPLOAD_FIELD) {
    part.file.resume();
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `LoRA upload: the file came in the multipart field ${JSON.stringify(part.fieldname)}; send it as the "${LORA_UPLOAD_FIELD}" part. Nothing was stored.`,
      { details: { field: part.fieldname, expected: LORA_UPLOAD_FIELD } },
    );
  }
  const name = displayName(part.filename);
  const rel = loraUploadRelPath(target.characterId, randomUUID());
  const path = resolveDataPath(target.catalog.dataDir, rel);
  let out: WriteStream | undefined;
  let stored: StoredLora;
  try {
    // in the try: a character deleted meanwhile takes the folder from under the mark too (ENOENT), the usual 404
    await mkdir(dirname(path), { recursive: true });
    // marked until recorded or removed: a server killed in between leaves a leftover the next start can prove
    await writeUploadMark(path);
    out = createWriteStream(path, { flags: 'wx' });
    stored = await streamAndRecord(part.file, out, { target, name, rel, path });
  } catch (error) {
    await settleBody(part.file, out);
    await rm(path, { force: true });
    await clearUploadMarks([path]); // after the file: a kill in between must not leave it unmarked
    throw await deletedMeanwhile(target, error);
  }
  await clearUploadMarks([path]);
  return stored;
}

/**
 * Streams the body into `out` (the file at `path`, `rel` in the data folder), then records it as the character's
 * LoRA, or gives the LoRA recorded before with the same bytes (the file removed). Throws what storeUploadedLora
 * does; the caller removes the file and its mark then.
 */
async function streamAndRecord(
  body: LoraUploadPart['file'],
  out: NodeJS.WritableStream,
  { target, name, rel, path }: { target: LoraUploadTarget; name: string; rel: string; path: string },
): Promise<StoredLora> {
  const hash = createHash('sha256');
  await pipeline(body, hashing(hash), out).catch((error: unknown) => {
    throw brokenBody(error);
  });
  if (body.truncated) {
    throw new ToonloraError(
      'TL_ERR_PAYLOAD_TOO_LARGE',
      `${name}: larger than the ${formatBinaryBytes(target.maxBytes)} limit for a LoRA; refused.`,
    );
  }
  const sha256 = hash.digest('hex');
  const before = target.findUploaded?.(sha256);
  if (before) {
    await rm(path, { force: true });
    return { artifact: before, duplicate: true };
  }
  const facts = await target.check(path, name);
  // no await from the look-ups to the insert: a character deleted meanwhile gets no row, and the same bytes
  // uploaded at the same time are recorded once
  target.catalog.getCharacter(target.characterId);
  const again = target.findUploaded?.(sha256);
  if (again) {
    await rm(path, { force: true });
    return { artifact: again, duplicate: true };
  }
  const artifact = target.catalog.addArtifact({
    characterId: target.characterId,
    jobId: null,
    kind: 'lora',
    name: uploadedLoraName(name),
    path: rel,
    meta: { uploaded: true, originalName: name, sha256, ...facts },
  });
  return { artifact, duplicate: false };
}

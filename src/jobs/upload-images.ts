// src/jobs/upload-images.ts — a character's screenshot upload, all or nothing: stage each part (size, type by
// content, pixel count, prep's minimum shorter side, decodable; a TIFF converted to PNG; written under a generated
// name and hashed), then record them in one transaction; an upload that breaks off, or whose character is deleted
// meanwhile, leaves no file behind. A file whose bytes the character already has (same sha256) is not stored again:
// the reply names the screenshot that has them.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm, rmdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ToonloraError } from '../errors.js';
import type {
  UploadConversion,
  UploadDuplicate,
  UploadedImage,
  UploadLimits,
  UploadResult,
} from '../schemas/api.js';
import { BmpDecodeError, checkBmpSize, decodeBmp, readBmpHeader } from '../prep/bmp-decode.js';
import { MIN_IMAGE_SIDE_PX } from '../prep/decode.js';
import { decodeToRgb, encodePngBuffer, readImageHeader } from '../vision/sharp-io.js';
import type { NewImage } from './catalog/images.js';
import type { CatalogStore } from './catalog-store.js';
import { characterRelDir, uploadRelPath, uploadsRelDir } from './data-layout.js';
import { resolveDataPath } from './data-path.js';
import { displayName } from './file-name-bytes.js';
import { oversizeReason, tooSmallReason } from './upload-file-size.js';
import {
  convertedName,
  convertedNote,
  extensionFor,
  isConverted,
  UPLOAD_TYPES,
  type UploadType,
  unsupportedImageHint,
  uploadTypeOf,
} from './upload-image-types.js';
import { clearUploadMarks, writeMarkedUpload } from './upload-leftovers.js';

/** The smallest shorter side an upload takes: prep's minimum (a smaller image is one prep would skip). */
export const MIN_UPLOAD_SIDE_PX = MIN_IMAGE_SIDE_PX;

/** The multipart field the upload reads (the web app and /openapi.json use it); other fields are refused. */
export const UPLOAD_FIELD = 'files';

/** One file part of a multipart body: what @fastify/multipart's `request.files()` yields. */
export interface UploadPart {
  fieldname: string;
  filename: string;
  /** `truncated` is read after toBuffer(): true when the file went over the per-file byte limit. */
  file: { truncated: boolean };
  toBuffer(): Promise<Buffer>;
}

/** The catalog calls an upload makes: it checks the character and records the images. */
export type UploadCatalog = Pick<
  CatalogStore,
  'dataDir' | 'getCharacter' | 'addImages' | 'findImageBySha256'
>;

/** Where an upload goes: the character (already looked up once) and the limits each file is checked against. */
export interface UploadTarget {
  catalog: UploadCatalog;
  characterId: string;
  limits: UploadLimits;
}

/** A file written to the data folder but not yet recorded: the row to add, its absolute path, the name it was sent
 * under (what the answer calls it: a TIFF's row holds its PNG name), and for a file stored converted (a TIFF, as PNG)
 * what the answer says of it. */
export interface StagedImage {
  image: NewImage;
  path: string;
  sentName: string;
  conversion?: UploadConversion;
}

/** What staging an upload's parts gave: files written, files refused (each alone), files the character
 * already has (not written), and the first refusal. */
export interface StagedUpload {
  staged: StagedImage[];
  rejected: UploadResult['rejected'];
  duplicates: UploadDuplicate[];
  firstError: ToonloraError | undefined;
}

/**
 * What a multipart body that could not be read to its end answers: the limits keep their 4xx (413 for
 * too many files or parts); a malformed or cut-off body (busboy's errors carry no status) is a 400.
 * Either way nothing of the upload was stored.
 */
function brokenUpload(error: unknown, limits: UploadLimits): unknown {
  const { statusCode, syscall, code } = error as { statusCode?: number; syscall?: string; code?: string };
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return new ToonloraError(
      'TL_ERR_PAYLOAD_TOO_LARGE',
      `upload: more than ${limits.maxFiles} files in one request; nothing from it was stored. Send them in batches of ${limits.maxFiles} or fewer.`,
      { cause: error },
    );
  }
  // a ToonloraError, a limit (4xx), or the server's own file system (a 500): unchanged
  if (error instanceof ToonloraError || statusCode !== undefined || syscall !== undefined) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new ToonloraError(
    'TL_ERR_USAGE',
    `upload: the multipart body could not be read (${reason}); nothing from it was stored. Send multipart/form-data with one or more "files" parts.`,
    { cause: error },
  );
}

/**
 * Removes every file a failed upload stored and returns the error to answer with. DELETE
 * /api/characters/:id does not wait for uploads: when the character was deleted meanwhile, the answer is a
 * 404 saying so, and the `uploads/` and character folders this upload's mkdir recreated go too, if nothing
 * else is in them (another upload still writing there removes them when it fails in turn).
 */
async function discardUpload(
  target: UploadTarget,
  staged: readonly StagedImage[],
  error: unknown,
): Promise<unknown> {
  const { catalog, characterId } = target;
  await Promise.all(staged.map(({ path }) => rm(path, { force: true })));
  await clearUploadMarks(staged.map(({ path }) => path));
  try {
    catalog.getCharacter(characterId);
    return error;
  } catch (gone) {
    if (!(gone instanceof ToonloraError && gone.code === 'TL_ERR_NOT_FOUND')) throw gone;
  }
  for (const rel of [uploadsRelDir(characterId), characterRelDir(characterId)]) {
    // ENOENT (already gone) or ENOTEMPTY (still in use): keep going
    await rmdir(resolveDataPath(catalog.dataDir, rel)).catch(() => undefined);
  }
  return characterDeletedDuringUpload(characterId, error);
}

/**
 * The 404 of an upload (screenshots or a LoRA) whose character DELETE /api/characters/:id removed while it was
 * in progress; `cause` is what failed because of it (a file the delete removed, the catalog's not-found).
 */
export function characterDeletedDuringUpload(characterId: string, cause: unknown): ToonloraError {
  return new ToonloraError(
    'TL_ERR_NOT_FOUND',
    `character ${characterId} was deleted while this upload was in progress; nothing from it was stored. List characters with GET /api/characters.`,
    { cause, details: { id: characterId } },
  );
}

/** An upload's upright width and height, and how many frames (pages) it holds. */
interface UploadHeader {
  width: number;
  height: number;
  pages: number;
}

/**
 * An upload's width and height from its header, upright (a photo stored on its side with EXIF orientation 5-8 is
 * as tall as it is stored wide): BMP by prep's decoder (sharp has no BMP reader; a size no BMP has is refused),
 * else sharp.
 */
async function uploadHeader(data: Buffer, type: UploadType): Promise<UploadHeader> {
  if (type.read === 'bmp') {
    const header = readBmpHeader(data);
    checkBmpSize(header);
    return { width: header.width, height: header.height, pages: 1 };
  }
  const header = await readImageHeader(data);
  const { pages } = header;
  return header.orientation >= 5
    ? { width: header.height, height: header.width, pages }
    : { width: header.width, height: header.height, pages };
}

/**
 * Decodes an upload's pixels as prep will (BMP by prep's decoder) and returns the bytes to store: a TIFF's first
 * page as PNG (upright, alpha on white, as prep would read it), else the upload's own bytes. Throws what the
 * decoder throws.
 */
async function decodeUpload(data: Buffer, type: UploadType, maxPixels: number): Promise<Buffer> {
  if (type.read === 'bmp') {
    decodeBmp(data);
    return data;
  }
  const pixels = await decodeToRgb(data, { maxPixels });
  return isConverted(type) ? encodePngBuffer(pixels) : data;
}

/** ` The upload takes …` after the refusal of a converted type's file sharp cannot read (an exotic TIFF kind). */
function takenTypesAfter(type: UploadType): string {
  return isConverted(type) ? ` The upload takes ${UPLOAD_TYPES}.` : '';
}

/** The refusal of a BMP kind the decoder does not read (RLE, 16-bit, an OS/2 header), naming it; else undefined. */
function unsupportedBmp(name: string, error: unknown): ToonloraError | undefined {
  if (!(error instanceof BmpDecodeError && error.kind === 'unsupported')) return undefined;
  return new ToonloraError(
    'TL_ERR_UNSUPPORTED_MEDIA',
    `${name}: ${error.message}; refused. Convert it to PNG.`,
  );
}

/**
 * Checks one uploaded file; returns what to store (its bytes, a TIFF's as PNG, under the name to record) or throws
 * a ToonloraError naming the file.
 */
async function checkUpload(name: string, data: Buffer, truncated: boolean, limits: UploadLimits) {
  if (truncated) {
    throw new ToonloraError('TL_ERR_PAYLOAD_TOO_LARGE', oversizeReason(name, limits.maxFileBytes));
  }
  if (data.length === 0) throw new ToonloraError('TL_ERR_IMAGE_DECODE', `${name}: empty file; refused.`);
  const type = uploadTypeOf(data.subarray(0, 16));
  if (!type) {
    // an SVG's <svg tag may follow an XML prolog
    const known = unsupportedImageHint(data.subarray(0, 1024));
    throw new ToonloraError(
      'TL_ERR_UNSUPPORTED_MEDIA',
      known
        ? `${name}: ${known}; refused.`
        : `${name}: content is not ${UPLOAD_TYPES} (the type is read from the bytes, not the name); refused.`,
    );
  }
  let header: UploadHeader;
  try {
    header = await uploadHeader(data, type);
  } catch (error) {
    throw (
      unsupportedBmp(name, error) ??
      new ToonloraError(
        'TL_ERR_IMAGE_DECODE',
        `${name}: ${type.read} header cannot be read (truncated or corrupt); refused.${takenTypesAfter(type)}`,
      )
    );
  }
  if (header.width * header.height > limits.maxPixels) {
    throw new ToonloraError(
      'TL_ERR_PAYLOAD_TOO_LARGE',
      `${name}: ${header.width}x${header.height} pixels exceeds the ${limits.maxPixels} pixel limit; refused. Downscale it first.`,
    );
  }

  // prep skips an image whose shorter side is under its minimum: refused now, in prep's words
  if (Math.min(header.width, header.height) < limits.minSidePx) {
    throw new ToonloraError(
      'TL_ERR_IMAGE_DECODE',
      tooSmallReason(name, header.width, header.height, limits.minSidePx),
    );
  }

  // A readable header is not a readable image: a file cut short would fail only later, in prep.
  let stored: Buffer;
  try {
    stored = await decodeUpload(data, type, limits.maxPixels);
  } catch (error) {
    const unsupported = unsupportedBmp(name, error);
    if (unsupported) throw unsupported;
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new ToonloraError(
      'TL_ERR_IMAGE_DECODE',
      `${name}: ${type.read} pixels cannot be decoded (${reason}: truncated or corrupt); refused. Upload the whole file again.${takenTypesAfter(type)}`,
    );
  }
  const converted = isConverted(type);
  return {
    stored,
    storedName: converted ? convertedName(name) : name,
    note: converted ? convertedNote(name, header.pages) : undefined,
    row: { format: type.format, width: header.width, height: header.height },
  };
}

function wrongUploadField(field: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_USAGE',
    `upload: a file came in the multipart field ${JSON.stringify(field)}; send every file as a "${UPLOAD_FIELD}" part (e.g. curl -F ${UPLOAD_FIELD}=@page.png). Nothing from this upload was stored.`,
    { details: { field, expected: UPLOAD_FIELD } },
  );
}

/** The id of the screenshot that already holds these bytes: one of the character's, or one staged earlier in
 * the same upload; undefined for bytes not seen before. */
function existingImageId(
  sha256: string,
  target: UploadTarget,
  staged: readonly StagedImage[],
): string | undefined {
  const inUpload = staged.find(({ image }) => image.sha256 === sha256);
  return inUpload?.image.id ?? target.catalog.findImageBySha256(target.characterId, sha256)?.id;
}

/**
 * Checks one file and writes it under a generated name, or, when the character (or this upload) already has
 * the same bytes, names that screenshot and writes nothing.
 * @throws ToonloraError naming the file when it is refused
 */
async function stageFile(
  name: string,
  data: Buffer,
  truncated: boolean,
  target: UploadTarget,
  staged: readonly StagedImage[],
): Promise<{ staged: StagedImage } | { duplicate: UploadDuplicate }> {
  const sha256 = createHash('sha256').update(data).digest('hex');
  // bytes cut off at the size limit are not the file: refused below, never matched
  const existingId = truncated ? undefined : existingImageId(sha256, target, staged);
  if (existingId) return { duplicate: { name, existingId } };
  const checked = await checkUpload(name, data, truncated, target.limits);
  const id = randomUUID();
  const rel = uploadRelPath(target.characterId, id, extensionFor(checked.row.format));
  const path = resolveDataPath(target.catalog.dataDir, rel);
  await mkdir(dirname(path), { recursive: true });
  // marked until recorded: a kill -9 in between leaves a provable leftover
  await writeMarkedUpload(path, checked.stored);
  // sha256 is of the bytes uploaded (a TIFF's, not its PNG's): the same TIFF again is a duplicate
  const image = { id, originalName: checked.storedName, storedPath: rel, ...checked.row, sha256 };
  return {
    staged: {
      image: { ...image, bytes: checked.stored.length },
      path,
      sentName: name,
      ...(checked.note ? { conversion: { name, id, note: checked.note } } : {}),
    },
  };
}

/**
 * Reads every part of an upload and writes each acceptable file under the character's `uploads/` (nothing
 * is recorded yet: see commitUploads). A file that is refused (too large, not an image, undecodable) is
 * listed in `rejected` and the others go on.
 * @throws ToonloraError when the body cannot be read to its end (TL_ERR_USAGE; a part outside the "files"
 *   field too), has too many files (TL_ERR_PAYLOAD_TOO_LARGE), or the character was deleted meanwhile
 *   (TL_ERR_NOT_FOUND); a file system error as it is. Every file already written is removed first.
 */
export async function stageUploads(
  parts: AsyncIterable<UploadPart>,
  target: UploadTarget,
): Promise<StagedUpload> {
  const result: StagedUpload = { staged: [], rejected: [], duplicates: [], firstError: undefined };
  try {
    for await (const part of parts) {
      if (part.fieldname !== UPLOAD_FIELD) throw wrongUploadField(part.fieldname);
      const name = displayName(part.filename);
      const data = await part.toBuffer();
      try {
        const file = await stageFile(name, data, part.file.truncated, target, result.staged);
        if ('duplicate' in file) result.duplicates.push(file.duplicate);
        else result.staged.push(file.staged);
      } catch (error) {
        if (!(error instanceof ToonloraError)) throw error;
        result.firstError ??= error;
        result.rejected.push({ name, code: error.code, reason: error.message });
      }
    }
  } catch (error) {
    throw await discardUpload(target, result.staged, brokenUpload(error, target.limits));
  }
  return result;
}

/**
 * Records the staged files as the character's images, all in one transaction, and returns what the upload
 * answers (201 when it stored a file; 200 when every file was a duplicate or refused, with some duplicate), the
 * files stored converted (a TIFF as PNG), if any, in `converted`.
 * A staged file whose bytes another upload recorded meanwhile is a duplicate too, and its file is removed.
 * @throws ToonloraError when nothing was accepted nor a duplicate: the first refusal's code and message, with
 *   every refused file in `details.rejected`, or TL_ERR_USAGE for an upload with no files; TL_ERR_NOT_FOUND
 *   when the character was deleted meanwhile. The staged files are removed whenever nothing is recorded.
 */
export async function commitUploads(target: UploadTarget, upload: StagedUpload): Promise<UploadResult> {
  const { rejected, firstError } = upload;
  const duplicates = [...upload.duplicates];
  const staged: StagedImage[] = [];
  const late: StagedImage[] = [];
  let uploaded: UploadedImage[] = [];
  try {
    // No await from this check to the insert: the store is synchronous, so no other upload records
    // the same bytes in between.
    for (const file of upload.staged) {
      const existing = target.catalog.findImageBySha256(target.characterId, file.image.sha256);
      if (existing) {
        late.push(file);
        duplicates.push({ name: file.sentName, existingId: existing.id });
      } else staged.push(file);
    }
    // looks the character up again, in the same transaction: it may have been deleted meanwhile
    if (staged.length > 0)
      uploaded = target.catalog.addImages(
        target.characterId,
        staged.map(({ image }) => image),
      );
  } catch (error) {
    throw await discardUpload(target, upload.staged, error);
  }
  await Promise.all(late.map(({ path }) => rm(path, { force: true })));
  await clearUploadMarks(upload.staged.map(({ path }) => path));
  if (uploaded.length === 0 && duplicates.length > 0) return { uploaded, rejected, duplicates };
  if (uploaded.length === 0) {
    if (firstError) throw new ToonloraError(firstError.code, firstError.message, { details: { rejected } });
    throw new ToonloraError(
      'TL_ERR_USAGE',
      'no files in the upload; send multipart/form-data with one or more "files" parts.',
    );
  }
  const converted = staged.flatMap(({ conversion }) => (conversion ? [conversion] : []));
  return { uploaded, rejected, duplicates, ...(converted.length > 0 ? { converted } : {}) };
}

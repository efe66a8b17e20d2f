// src/prep/decode.ts — prep stage 0: turns one input file into 8-bit sRGB pixels (sharp; BMP by bmp-decode.ts), or a
// TL_ERR_IMAGE_DECODE error that names the file and says why (unreadable, empty, truncated, a text file or other bytes
// that are not an image, a format prep does not read named, too many pixels, too small), so one bad file can be
// reported and skipped.
import { open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ToonloraError } from '../errors.js';
import type { RgbImage } from '../vision/image.js';
import { refusedImageTypeText, sniffImageFormat, unsupportedImageTypeName } from '../vision/image-sniff.js';
import { decodeToRgb, type ImageHeader, readImageHeader } from '../vision/sharp-io.js';
import { BmpDecodeError, checkBmpSize, decodeBmp, readBmpHeader } from './bmp-decode.js';
import { PREP_READABLE_FORMATS, refusedFormatName } from './decode-formats.js';
import { fileErrorText } from './inputs-file-errors.js';
import { MIN_IMAGE_SIDE_PX } from '../schemas/config.js';

/** Images whose shorter side is below this are refused: nothing usable can be cropped at 512 px (the default lives in
 * schemas/config.ts, which the upload limits read too). */
export { MIN_IMAGE_SIDE_PX };

export interface DecodeOptions {
  /** Largest accepted width x height (prep.maxInputPixels), checked on the header before decoding. */
  readonly maxPixels: number;
  /** Smallest accepted shorter side in pixels; default {@link MIN_IMAGE_SIDE_PX}. */
  readonly minSidePx?: number;
}

/** Why a file could not be decoded; stable strings the manifest records. */
export type DecodeFailure =
  | 'empty'
  | 'not-found'
  | 'unreadable'
  | 'not-an-image'
  | 'unsupported-format'
  | 'truncated'
  | 'too-many-pixels'
  | 'too-small';

function decodeError(path: string, reason: DecodeFailure, message: string, cause?: unknown): ToonloraError {
  return new ToonloraError('TL_ERR_IMAGE_DECODE', `${basename(path)}: ${message}`, {
    cause,
    details: { file: path, reason },
  });
}

/** The refusal of a format prep does not read, in the upload's words: `a HEVC-coded HEIC image; prep takes …`. */
function unsupportedFormatError(path: string, name: string, cause?: unknown): ToonloraError {
  return decodeError(
    path,
    'unsupported-format',
    `${refusedImageTypeText(name, 'prep', PREP_READABLE_FORMATS)}.`,
    cause,
  );
}

/** Bytes read to tell the type before sharp opens the file (an SVG's `<svg` tag may follow a long prolog). */
const HEAD_BYTES = 4096;

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(HEAD_BYTES), 0, HEAD_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Bytes of text files: tab, line breaks, form feed and the printable ones (any byte of UTF-8 beyond ASCII too). */
const isTextByte = (byte: number) => byte === 9 || byte === 10 || byte === 12 || byte === 13 || byte >= 32;
/** Characters of a text file's first line quoted in its refusal. */
const QUOTED_CHARS = 32;

/**
 * A text file's first non-blank line as its refusal quotes it, safe to print: cut at {@link QUOTED_CHARS}, tabs as
 * spaces, and control, bidirectional and other invisible characters (and bytes that are no UTF-8) as `?`, so it
 * cannot move the cursor or turn the line around.
 */
export function textPreview(start: Uint8Array): string {
  const line =
    Buffer.from(start)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r\n|\r|\n/)[0] ?? '';
  const chars = [...line.replace(/\t/g, ' ').replace(/[\p{C}\uFFFD]/gu, '?')];
  return chars.length > QUOTED_CHARS ? `${chars.slice(0, QUOTED_CHARS).join('')}…` : chars.join('');
}

/**
 * What a file whose first bytes no known image format starts with is, for its refusal: `it looks like a text file,
 * not an image (its first line reads "…")`, or `its bytes are not an image (it starts with the bytes 00 01 fe ff, no
 * image format's)`.
 */
export function headInWords(head: Uint8Array): string {
  const start = head.subarray(0, 512);
  if (start.length > 0 && start.every(isTextByte)) {
    const preview = textPreview(start);
    return `it looks like a text file, not an image (${preview === '' ? 'it holds only blank lines at its start' : `its first line reads "${preview}"`})`;
  }
  return `its bytes are not an image (it starts with the bytes ${Buffer.from(head.subarray(0, 8))
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ')}, no image format's)`;
}

/**
 * Reads the header. What sharp calls an "unsupported image format" is named when its first bytes are an image
 * format prep does not read (Photoshop PSD, JPEG XL, ICO, QOI: image-sniff.ts), else said for what its bytes are
 * (a text file, or bytes no image format starts with); a format sharp reads that prep does not is named too.
 */
async function readHeaderOrThrow(path: string, head: Uint8Array): Promise<ImageHeader> {
  let header: ImageHeader;
  try {
    header = await readImageHeader(path);
  } catch (error) {
    const message = (error as Error).message;
    const unsupported = /unsupported image format/i.test(message);
    const named = unsupported ? unsupportedImageTypeName(head) : undefined;
    if (named !== undefined) throw unsupportedFormatError(path, named, error);
    const why = unsupported ? headInWords(head) : `not an image toonlora can read (${firstLine(message)})`;
    throw decodeError(path, 'not-an-image', `${why}. Use ${PREP_READABLE_FORMATS}.`, error);
  }
  const refused = refusedFormatName(header);
  if (refused !== undefined) throw unsupportedFormatError(path, refused);
  return header;
}

/** libvips' retry lines (`<file>: bad seek to 1024`), alone or ending a line. */
const BAD_SEEK = /:?\s*[^:]*: bad seek to \d+$/i;

/**
 * The first meaningful line of a libvips error, for the one-line status and the manifest's reason: a corrupt HEIC
 * gives `Input file has corrupt header: <file>: bad seek to 1024`, 8 more `bad seek` lines, then the cause
 * (`heif: Invalid input: … No meta box found`). The bad-seek lines go; a first line cut short by one gets the last
 * line, the cause.
 */
export function firstLine(message: string): string {
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const cleaned = lines.map((line) => line.replace(BAD_SEEK, '').trim()).filter(Boolean);
  const [first, ...rest] = cleaned;
  if (first === undefined) return lines[0] ?? message.trim();
  const cause = rest.at(-1);
  const cutShort = first !== lines[0] || first.endsWith(':');
  return cause !== undefined && cutShort ? `${first.replace(/:$/, '')}: ${cause}` : first;
}

/** A BMP, decoded here (sharp has no BMP reader; the trainer trains .bmp), with the same size checks as the others. */
async function decodeBmpFile(path: string, options: DecodeOptions): Promise<DecodedImage> {
  const bytes = await readFile(path);
  const failed = (error: unknown): never => {
    if (!(error instanceof BmpDecodeError)) throw error;
    if (error.kind === 'truncated')
      throw decodeError(
        path,
        'truncated',
        `BMP data is truncated or corrupt (${error.message}). Re-export or re-download it.`,
        error,
      );
    const reason = error.kind === 'unsupported' ? 'unsupported-format' : 'not-an-image';
    throw decodeError(path, reason, `${error.message}. Convert it to PNG.`, error);
  };
  let header: ReturnType<typeof readBmpHeader>;
  try {
    header = readBmpHeader(bytes);
    checkBmpSize(header);
  } catch (error) {
    return failed(error);
  }
  checkDeclaredSize(path, header.width, header.height, options);
  try {
    return { ...decodeBmp(bytes), frames: 1, format: 'bmp' };
  } catch (error) {
    return failed(error);
  }
}

/**
 * Refuses a declared size over options.maxPixels (a decompression-bomb guard on the header: a 20-byte header can
 * claim 60000x60000) or with a shorter side under the minimum.
 */
function checkDeclaredSize(path: string, width: number, height: number, options: DecodeOptions): void {
  const minSide = options.minSidePx ?? MIN_IMAGE_SIDE_PX;
  const declared = width * height;
  if (declared > options.maxPixels) {
    throw decodeError(
      path,
      'too-many-pixels',
      `declares ${width}x${height} = ${declared} pixels, more than the limit of ${options.maxPixels} ` +
        `(prep.maxInputPixels). ${tooManyPixelsAdvice(width, height)}`,
    );
  }
  if (Math.min(width, height) < minSide) {
    throw decodeError(
      path,
      'too-small',
      `is ${tooSmallText(width, height, minSide)}. Use a larger screenshot.`,
    );
  }
}

/** `20x20000 pixels; the shorter side must be at least 64 px`: prep's words, which the upload refuses with too. */
export function tooSmallText(width: number, height: number, minSide = MIN_IMAGE_SIDE_PX): string {
  return `${width}x${height} pixels; the shorter side must be at least ${minSide} px`;
}

/**
 * A decoded image, how many frames (pages) the file holds (only the first is read), and its format as sharp names
 * it (`tiff`: its frames are pages; `bmp` for a BMP).
 */
export type DecodedImage = RgbImage & { readonly frames: number; readonly format: string };

/** A long strip (one side 3+ times the other) is split, not downscaled: its characters would shrink under the minimum. */
export function tooManyPixelsAdvice(width: number, height: number): string {
  const raise =
    'raise it with `maxInputPixels = <pixels>` under `[prep]` in a --config file if the file is genuine';
  if (Math.max(width, height) >= 3 * Math.min(width, height)) {
    return `A long strip (a webtoon episode) is best split into parts of a few thousand pixels each (downscaling it shrinks the characters under the size prep needs), or ${raise}.`;
  }
  return `Downscale the image, or ${raise}.`;
}

/**
 * Decodes `path` to an RGB image: EXIF orientation applied, alpha flattened on white, CMYK / grey /
 * 16-bit converted to 8-bit sRGB, animated files -> first frame (`frames` says how many it has).
 * @throws ToonloraError TL_ERR_IMAGE_DECODE (details.reason is a {@link DecodeFailure}).
 */
export async function decodeImage(path: string, options: DecodeOptions): Promise<DecodedImage> {
  let size: number;
  let head: Buffer;
  try {
    size = (await stat(path)).size;
    head = await readHead(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw decodeError(
      path,
      code === 'ENOENT' ? 'not-found' : 'unreadable',
      `${fileErrorText(error)}.`,
      error,
    );
  }
  if (size === 0)
    throw decodeError(path, 'empty', 'the file is empty (0 bytes). Re-export or re-download it.');

  if (sniffImageFormat(head) === 'bmp') return decodeBmpFile(path, options);
  // an SVG is refused before sharp opens it: sharp would draw it, and the local images it names
  if (unsupportedImageTypeName(head) === 'SVG') throw unsupportedFormatError(path, 'SVG');
  const header = await readHeaderOrThrow(path, head);
  checkDeclaredSize(path, header.width, header.height, options);

  try {
    // sharp's own limitInputPixels stays on as a second guard (e.g. formats whose header lies).
    return {
      ...(await decodeToRgb(path, { maxPixels: options.maxPixels })),
      frames: Math.max(1, header.pages),
      format: header.format,
    };
  } catch (error) {
    const message = (error as Error).message;
    const reason: DecodeFailure = /pixel limit/i.test(message) ? 'too-many-pixels' : 'truncated';
    throw decodeError(
      path,
      reason,
      `${header.format} data is truncated or corrupt (${firstLine(message)}). Re-export or re-download it.`,
      error,
    );
  }
}

// src/jobs/upload-image-types.ts — the image types a screenshot upload takes (pure): PNG, JPEG, WebP, GIF and BMP
// (BMP decoded by prep itself, as the trainer trains it), the refusal of a type screenshots come in that it does not
// take (one `toonlora prep` reads from disk, TIFF and AVIF, says so: the lists differ, the refusal says how), and the
// extension a type is stored under. Types are read from
// the first bytes (src/vision/image-sniff.ts, which also has the Content-Type the server answers with), never
// from the file name or the client's Content-Type.
import type { ImageFormat } from '../schemas/api.js';
import { PREP_READABLE_FORMATS } from '../prep/decode-formats.js';
import { refusedImageTypeText, sniffImageFormat, unsupportedImageTypeName } from '../vision/image-sniff.js';

/** The types the upload takes (sniffImageFormat's), as messages name them. */
const UPLOAD_TYPE_NAMES = ['PNG', 'JPEG', 'WebP', 'GIF', 'BMP'] as const;

/** `A, B or C` (`A, B and C` with `and`). */
function listed(names: readonly string[], conjunction: 'or' | 'and' = 'or'): string {
  return names.length < 2
    ? names.join('')
    : `${names.slice(0, -1).join(', ')} ${conjunction} ${names.at(-1)}`;
}

/** The types the upload takes, as its messages list them: `PNG, JPEG, WebP, GIF or BMP`. */
export const UPLOAD_TYPES = listed(UPLOAD_TYPE_NAMES);

/**
 * The types `toonlora prep` reads from disk that the upload does not take (`TIFF`, `AVIF`), from prep's list
 * (`PNG, JPEG, WebP, GIF, TIFF, AVIF or BMP`).
 */
export const PREP_ONLY_TYPES: readonly string[] = PREP_READABLE_FORMATS.split(/, | or /).filter(
  (name) => !(UPLOAD_TYPE_NAMES as readonly string[]).includes(name),
);

/**
 * Why bytes that are no accepted type were refused, when they are an image type people export screenshots in
 * (TIFF, AVIF, HEIC): `a HEIC image; the upload takes PNG, JPEG, WebP, GIF or BMP: convert it to PNG`; a type prep
 * reads adds where it is read: `a TIFF image; … convert it to PNG (toonlora prep on the command line reads TIFF and
 * AVIF files as they are)`. Undefined for anything else (the caller's generic "not PNG, JPEG, WebP, GIF or BMP").
 */
export function unsupportedImageHint(head: Uint8Array): string | undefined {
  if (sniffImageFormat(head)) return undefined;
  const name = unsupportedImageTypeName(head);
  if (!name) return undefined;
  const refusal = refusedImageTypeText(name, 'the upload', UPLOAD_TYPES);
  return PREP_ONLY_TYPES.includes(name)
    ? `${refusal} (toonlora prep on the command line reads ${listed(PREP_ONLY_TYPES, 'and')} files as they are)`
    : refusal;
}

/** File extension stored for a format. */
export function extensionFor(format: ImageFormat): string {
  return format === 'jpeg' ? 'jpg' : format;
}

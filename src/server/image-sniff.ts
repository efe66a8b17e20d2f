// src/server/image-sniff.ts — the Content-Type the server answers with for a stored image (pure): by the
// format sniffed at upload (read from the first bytes by src/vision/image-sniff.ts; upload types are decided
// in src/jobs/image-sniff.ts), or by a file's extension.
import type { ImageFormat } from '../schemas/api.js';

/** Content-Type of each accepted format. */
export const IMAGE_MIME: Readonly<Record<ImageFormat, string>> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  bmp: 'image/bmp',
};

/** Content-Type of a stored image from its extension (.png, .jpg/.jpeg, .webp, .gif, .bmp); else octet-stream. */
export function imageMimeForPath(path: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase();
  const format = ext === 'jpg' ? 'jpeg' : ext;
  return IMAGE_MIME[format as ImageFormat] ?? 'application/octet-stream';
}

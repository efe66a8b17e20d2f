// src/jobs/file-name-bytes.ts — fits user file names into the file system's limit, which counts UTF-8
// bytes (255 on ext4, APFS, NTFS via most drivers), not characters: 90 kanji are 270 bytes. Pure.

/** Most file systems' limit on one path component, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;

/** UTF-8 length of `text` in bytes. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/**
 * The longest start of `text` that takes at most `maxBytes` UTF-8 bytes, cut between code points (never
 * inside a surrogate pair, so an emoji is kept whole or dropped). `maxBytes` <= 0 gives ''.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += utf8Bytes(char);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * `name` cut to at most `maxBytes` UTF-8 bytes, keeping its extension (`.png`, up to 16 bytes) and
 * shortening the stem; unchanged when it already fits.
 */
export function fitFileName(name: string, maxBytes: number): string {
  if (utf8Bytes(name) <= maxBytes) return name;
  const ext = /\.[^.]{1,15}$/.exec(name)?.[0] ?? '';
  const extFits = ext !== '' && utf8Bytes(ext) < maxBytes;
  const stem = extFits ? name.slice(0, -ext.length) : name;
  const kept = extFits ? ext : '';
  return truncateUtf8(stem, maxBytes - utf8Bytes(kept)).trimEnd() + kept;
}

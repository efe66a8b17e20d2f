// src/jobs/file-name-bytes.ts — fits user file names into the file system's limit, which counts UTF-8
// bytes (255 on ext4, APFS, NTFS via most drivers), not characters: 90 kanji are 270 bytes; and an upload's
// display name, made from the client's file name. Pure.

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

/** Longest display name kept, in UTF-8 bytes: a prep job's input `NNN-<name>` must fit a 255-byte file name. */
export const DISPLAY_NAME_MAX_BYTES = 200;

/**
 * A display-only version of a client file name: base name, no control characters, at most
 * DISPLAY_NAME_MAX_BYTES UTF-8 bytes (the extension kept, no code point split).
 */
export function displayName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return fitFileName(clean, DISPLAY_NAME_MAX_BYTES) || 'unnamed';
}

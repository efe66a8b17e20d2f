// src/prep/output-names.ts — safe, unique output file names for the dataset (pure): the input's own
// letters and digits in any script (NFC), no spaces or characters that are illegal or hostile on Windows,
// macOS or a shell, never two crops with the same name (case-insensitively, for macOS / Windows file
// systems), and stable for the same input name.
import { createHash } from 'node:crypto';

/** Most characters (code points) of a stem. */
const MAX_STEM_CHARS = 80;

/** Device names Windows refuses as a file name, with any extension. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com\d|lpt\d)$/i;

/**
 * A file-system-safe stem for an input file name (without its extension), readable in any script: NFC,
 * Unicode letters, marks and digits kept, `.`, `_` and `-` kept, anything else (whitespace, punctuation,
 * `<>:"/\\|?*`, control characters) -> `_`, runs collapsed. It never starts with digits then `_` (`1_x`
 * would look like kohya's `<repeats>_` folder prefix): such a stem gets `img-` in front. A name with
 * nothing left becomes `img-<8 hex of its sha1>`, so it stays distinct and stable.
 */
export function safeStem(fileName: string): string {
  const stem = fileName.replace(/\.[^./\\]*$/, '').normalize('NFC');
  const safe = Array.from(
    stem
      .replace(/[^\p{L}\p{M}\p{N}._-]+/gu, '_')
      .replace(/_+/g, '_')
      .replace(/^[._-]+|[._-]+$/g, ''),
  )
    .slice(0, MAX_STEM_CHARS)
    .join('')
    .replace(/[._-]+$/, '');
  if (safe.replace(/[._-]/g, '') === '')
    return `img-${createHash('sha1').update(stem).digest('hex').slice(0, 8)}`;
  if (/^\p{N}+_/u.test(safe) || WINDOWS_RESERVED.test(safe)) return `img-${safe}`;
  return safe;
}

/**
 * The name asked for a file's crop (before {@link UniqueNames}): the stem for its first crop, then
 * `stem-2`, `stem-3`, ...; a webtoon strip's crops name their panel, `stem-p03`, then `stem-p03-2` for a
 * second crop of that panel (panel numbers padded to two digits, or more for a longer strip).
 */
export function cropStem(
  stem: string,
  nth: number,
  panel?: { readonly index: number; readonly count: number },
): string {
  if (!panel) return nth <= 1 ? stem : `${stem}-${nth}`;
  const number = String(panel.index).padStart(Math.max(2, String(panel.count).length), '0');
  return nth <= 1 ? `${stem}-p${number}` : `${stem}-p${number}-${nth}`;
}

/** Hands out unique names: the first request for `stem` gets it, later ones `stem-2`, `stem-3`, ... */
export class UniqueNames {
  private readonly used = new Set<string>();

  /** A name not handed out before (compared case-insensitively). */
  take(stem: string): string {
    let name = stem;
    for (let n = 2; this.used.has(name.toLowerCase()); n++) name = `${stem}-${n}`;
    this.used.add(name.toLowerCase());
    return name;
  }
}

/** Kohya's dataset folder name: `<repeats>_<trigger> <class>`. */
export function datasetFolderName(repeats: number, trigger: string, classWord: string): string {
  return `${repeats}_${trigger} ${classWord}`;
}

// src/prep/output-names.ts — safe, unique output file names for the dataset (pure): ASCII only, no
// spaces or shell-hostile characters, never two crops with the same name (case-insensitively, for
// macOS / Windows file systems), and stable for the same input name.
import { createHash } from 'node:crypto';

const MAX_STEM_CHARS = 80;

/**
 * A file-system-safe ASCII stem for an input file name (without its extension): accents stripped,
 * anything outside `[A-Za-z0-9._-]` -> `_`, runs collapsed. A name with nothing ASCII left (e.g.
 * Korean) becomes `img-<8 hex of its sha1>`, so it stays distinct and stable.
 */
export function safeStem(fileName: string): string {
  const stem = fileName.replace(/\.[^./\\]*$/, '');
  const ascii = stem
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_+/g, '_')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, MAX_STEM_CHARS);
  const letters = ascii.replace(/[^A-Za-z0-9]/g, '');
  // Mostly non-ASCII names keep only underscores: name them by hash, with what ASCII there was.
  if (letters.length === 0 || letters.length * 2 < [...stem].filter((ch) => /\S/.test(ch)).length) {
    const hash = createHash('sha1').update(stem).digest('hex').slice(0, 8);
    return letters.length ? `${ascii}-${hash}` : `img-${hash}`;
  }
  return ascii;
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

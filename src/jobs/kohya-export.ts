// src/jobs/kohya-export.ts — a dataset version as kohya's folder layout (`<repeats>_<trigger> <class>/
// name.png + name.txt`) with the reviewed captions and without excluded items: as a list of entries
// (pure), written to a folder for training, or streamed as a zip for download.
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { resolveDataPath } from './data-path.js';
import { zipStream } from './zip-stream.js';

export interface ExportItem {
  /** Data-relative path of the training image, inside its kohya folder (`jobs/x/10_sks girl/a.png`). */
  imagePath: string;
  caption: string;
  excluded: boolean;
}

export interface KohyaEntry {
  /** Path inside the export (`10_sks girl/a.png`). */
  path: string;
  /** Data-relative file to copy, or the text to write. */
  source: { file: string } | { text: string };
}

/** The entries of the export, in item order; excluded items are left out. */
export function kohyaEntries(items: readonly ExportItem[]): KohyaEntry[] {
  const entries: KohyaEntry[] = [];
  for (const item of items) {
    if (item.excluded) continue;
    const folder = basename(dirname(item.imagePath));
    const name = basename(item.imagePath);
    const stem = name.slice(0, name.length - extname(name).length);
    entries.push({ path: `${folder}/${name}`, source: { file: item.imagePath } });
    entries.push({ path: `${folder}/${stem}.txt`, source: { text: `${item.caption}\n` } });
  }
  return entries;
}

/** Writes the export under `outDir` (absolute); returns the kohya image folder paths it made. */
export async function writeKohyaFolder(
  dataDir: string,
  items: readonly ExportItem[],
  outDir: string,
): Promise<string[]> {
  const folders = new Set<string>();
  for (const entry of kohyaEntries(items)) {
    const target = join(outDir, entry.path);
    await mkdir(dirname(target), { recursive: true });
    folders.add(dirname(target));
    if ('file' in entry.source) await copyFile(resolveDataPath(dataDir, entry.source.file), target);
    else await writeFile(target, entry.source.text);
  }
  return [...folders];
}

/**
 * A zip stream of the export (stored paths only; nothing outside the data folder is read). A file that cannot
 * be read (gone since the caller checked) fails the stream with its error (zip-stream.ts).
 */
export function kohyaZipStream(dataDir: string, items: readonly ExportItem[]): Readable {
  return zipStream((zip) => {
    for (const entry of kohyaEntries(items)) {
      if ('file' in entry.source) zip.addFile(resolveDataPath(dataDir, entry.source.file), entry.path);
      else zip.addBuffer(Buffer.from(entry.source.text), entry.path);
    }
  });
}

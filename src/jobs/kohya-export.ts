// src/jobs/kohya-export.ts — a dataset version as kohya's folder layout (`<repeats>_<trigger> <class>/
// name.png + name.txt`) with the reviewed captions and without excluded items: as a list of entries
// (pure), written to a folder for training, or streamed as a zip for download; and its images that are gone
// from the data folder, named in the same words by the zip route (a 404) and the train job (checked before copying).
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ToonloraError } from '../errors.js';
import { resolveDataPath } from './data-path.js';
import { listSome, missingStoredFileMessage, missingStoredFiles } from './stored-files.js';
import { zipStream } from './zip-stream.js';

export interface ExportItem {
  /** Data-relative path of the training image, inside its kohya folder (`jobs/x/10_sks girl/a.png`). */
  imagePath: string;
  caption: string;
  excluded: boolean;
}

/**
 * An item with its key in its dataset version, and the names the Dataset page shows it by (its screenshot's file
 * name, `source`, and the strip panel it was cut from): how a missing image is named.
 */
export type KeyedExportItem = ExportItem & {
  key: string;
  source: string;
  panel?: { readonly index: number } | null;
};

/** An item as the Dataset page names it: "plain.png", a strip's crop "ep1.png, panel 3" (its key is internal). */
export function datasetItemName(item: Pick<KeyedExportItem, 'source' | 'panel'>): string {
  const fileName = item.source.split('/').pop() ?? item.source;
  return item.panel ? `${fileName}, panel ${item.panel.index}` : fileName;
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

/** The images the export reads (excluded items left out): absolute path and item key. */
export function exportImageFiles(
  dataDir: string,
  items: readonly KeyedExportItem[],
): Array<{ path: string; name: string }> {
  return items
    .filter((item) => !item.excluded)
    .map((item) => ({ path: resolveDataPath(dataDir, item.imagePath), name: item.key }));
}

/** Dataset `datasetId`'s images `keys` in words ("the images of dataset x items a, b"), for missingStoredFileMessage. */
export function datasetImagesWhat(datasetId: string): (keys: string, plural: boolean) => string {
  return (keys, plural) =>
    `the image${plural ? 's' : ''} of dataset ${datasetId} item${plural ? 's' : ''} ${keys}`;
}

/**
 * Checks every image of the export before anything is written, so a training run does not start on a dataset whose
 * images were deleted by hand.
 * @throws ToonloraError TL_ERR_NOT_FOUND naming every missing item (the first 5, then a count) and the fix
 */
export async function checkExportImages(
  dataDir: string,
  datasetId: string,
  items: readonly KeyedExportItem[],
): Promise<void> {
  const byKey = new Map(items.map((item) => [item.key, item]));
  const missing = await missingStoredFiles(exportImageFiles(dataDir, items));
  if (missing.length === 0) return;
  const keys = missing.map((file) => file.name);
  const names = keys.map((key) => {
    const item = byKey.get(key);
    return item ? datasetItemName(item) : key;
  });
  const plural = keys.length > 1;
  const it = plural ? 'them' : 'it';
  // the names and pages the web app shows: the train job is the server's (before: the dataset's UUID, the item key
  // "003-plain" for "plain.png", and "(prep)")
  throw new ToonloraError(
    'TL_ERR_NOT_FOUND',
    `${missingStoredFileMessage(`the dataset image${plural ? 's' : ''} ${listSome(names)}`, plural)} ` +
      `Exclude ${it} on the Dataset page, or build the dataset again on the Screenshots page, then start the training again.`,
    { details: { datasetId, items: keys } },
  );
}

/**
 * Writes dataset `datasetId`'s export under `outDir` (absolute) once all its images are there; returns the kohya
 * image folder paths it made.
 * @throws ToonloraError TL_ERR_NOT_FOUND from checkExportImages, before anything is written
 */
export async function writeKohyaFolder(
  dataDir: string,
  datasetId: string,
  items: readonly KeyedExportItem[],
  outDir: string,
): Promise<string[]> {
  await checkExportImages(dataDir, datasetId, items);
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

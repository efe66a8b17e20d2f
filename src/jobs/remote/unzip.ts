// src/jobs/remote/unzip.ts — unpacks a zip a remote worker downloads (the server's kohya-layout dataset export, a
// checkpoint the server keeps) into a folder, through yauzl (which checks every entry's name, sizes and CRC); an
// entry whose path would leave that folder is refused, and so is, before anything is written, a zip past the limits
// below (a zip bomb: a 300 KB zip of 300 MiB of zeros) or holding a symbolic link. The zip is a file on disk, read
// in place, never loaded whole.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { ToonloraError } from '../../errors.js';

/** What is unpacked, as its errors name it: `dataset zip`, `checkpoint zip`. */
type ZipWhat = 'dataset zip' | 'checkpoint zip';

function invalid(what: ZipWhat, why: string): ToonloraError {
  return new ToonloraError('TL_ERR_INPUT_INVALID', `${what}: ${why}; download it again.`);
}

/**
 * What a zip may unpack to: at most `maxBytes` in all (yauzl checks each entry's data against the size its header
 * declares, so the sum is known before anything is written), `maxEntries` entries, and no entry over 1 MiB that
 * its data is over `maxRatio` times smaller than (images and checkpoint tensors barely compress; a zip bomb does).
 */
export interface UnzipLimits {
  maxBytes: number;
  maxEntries: number;
  maxRatio: number;
}

/** The server's checkpoint upload limit (routes/workers MAX_CHECKPOINT_BYTES) is 4 GiB; a dataset is smaller still. */
export const UNZIP_LIMITS: Readonly<Record<ZipWhat, UnzipLimits>> = {
  'dataset zip': { maxBytes: 8 * 1024 ** 3, maxEntries: 100_000, maxRatio: 100 },
  'checkpoint zip': { maxBytes: 4 * 1024 ** 3, maxEntries: 10_000, maxRatio: 100 },
};

const RATIO_FLOOR_BYTES = 1024 ** 2;

/** Whether a zip entry is a symbolic link (its Unix mode, in the high half of the external attributes). */
export function isSymlinkEntry(entry: Pick<yauzl.Entry, 'externalFileAttributes'>): boolean {
  return ((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000;
}

const mib = (bytes: number) => `${Math.round(bytes / 1024 ** 2)} MiB`;

/** Reads the zip's directory only: throws when it is past `limits` or holds a symbolic link. */
async function checkEntries(zipfile: yauzl.ZipFile, what: ZipWhat, limits: UnzipLimits): Promise<void> {
  let entries = 0;
  let total = 0;
  for await (const entry of zipfile.eachEntry()) {
    entries += 1;
    total += entry.uncompressedSize;
    if (isSymlinkEntry(entry))
      throw invalid(what, `${JSON.stringify(entry.fileName)} is a symbolic link, which is not unpacked`);
    if (entries > limits.maxEntries)
      throw invalid(what, `more than ${limits.maxEntries} entries, the most it unpacks`);
    if (total > limits.maxBytes)
      throw invalid(what, `it unpacks to more than ${mib(limits.maxBytes)}, the most it unpacks`);
    if (
      entry.uncompressedSize > RATIO_FLOOR_BYTES &&
      entry.uncompressedSize > entry.compressedSize * limits.maxRatio
    ) {
      throw invalid(
        what,
        `${JSON.stringify(entry.fileName)} unpacks to ${mib(entry.uncompressedSize)} from ${entry.compressedSize} bytes, over ${limits.maxRatio} times its size, the most it unpacks (a zip bomb)`,
      );
    }
  }
}

async function writeEntries(zipfile: yauzl.ZipFile, outDir: string, what: ZipWhat): Promise<number> {
  const root = resolve(outDir);
  let written = 0;
  for await (const entry of zipfile.eachEntry()) {
    if (entry.fileName.endsWith('/')) continue;
    const path = resolve(root, entry.fileName);
    if (!path.startsWith(root + sep))
      throw invalid(what, `${JSON.stringify(entry.fileName)} points outside the folder it unpacks into`);
    await mkdir(dirname(path), { recursive: true });
    await pipeline(await zipfile.openReadStreamPromise(entry), createWriteStream(path));
    written += 1;
  }
  return written;
}

async function unpack(
  open: () => Promise<yauzl.ZipFile>,
  outDir: string,
  what: ZipWhat,
  limits: UnzipLimits = UNZIP_LIMITS[what],
): Promise<number> {
  let zipfile: yauzl.ZipFile | undefined;
  try {
    zipfile = await open();
    await checkEntries(zipfile, what, limits); // all of it before the first byte is written
    zipfile.close();
    zipfile = await open();
    return await writeEntries(zipfile, outDir, what);
  } catch (error) {
    if (error instanceof ToonloraError) throw error;
    throw invalid(what, error instanceof Error ? error.message : String(error));
  } finally {
    zipfile?.close();
  }
}

/** The largest zip a worker downloads: all it may unpack to, plus room for each entry's headers (stored entries). */
export function downloadLimit(what: ZipWhat): number {
  const limits = UNZIP_LIMITS[what];
  return limits.maxBytes + limits.maxEntries * 1024;
}

/** Writes every file entry of the zip file `zipPath` under `outDir` (folders made as needed), read entry by entry
 * from disk; returns how many files it wrote. */
export async function unzipFileTo(
  zipPath: string,
  outDir: string,
  what: ZipWhat,
  limits?: UnzipLimits,
): Promise<number> {
  return unpack(() => yauzl.openPromise(zipPath, { lazyEntries: true }), outDir, what, limits);
}

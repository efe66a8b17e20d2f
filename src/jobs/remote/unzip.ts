// src/jobs/remote/unzip.ts — unpacks a zip a remote worker downloads (the server's kohya-layout dataset export, a
// checkpoint the server keeps) into a folder, through yauzl (which checks every entry's name, sizes and CRC); an
// entry whose path would leave that folder is refused. A file on disk is read in place, not loaded whole.
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

async function unpack(open: () => Promise<yauzl.ZipFile>, outDir: string, what: ZipWhat): Promise<number> {
  let zipfile: yauzl.ZipFile | undefined;
  try {
    zipfile = await open();
    return await writeEntries(zipfile, outDir, what);
  } catch (error) {
    if (error instanceof ToonloraError) throw error;
    throw invalid(what, error instanceof Error ? error.message : String(error));
  } finally {
    zipfile?.close();
  }
}

/** Writes every file entry of `zip` under `outDir` (folders made as needed); returns how many files it wrote. */
export async function unzipTo(zip: Buffer, outDir: string): Promise<number> {
  return unpack(() => yauzl.fromBufferPromise(zip, { lazyEntries: true }), outDir, 'dataset zip');
}

/** unzipTo for a zip file on disk (a downloaded checkpoint), read entry by entry. */
export async function unzipFileTo(zipPath: string, outDir: string, what: ZipWhat): Promise<number> {
  return unpack(() => yauzl.openPromise(zipPath, { lazyEntries: true }), outDir, what);
}

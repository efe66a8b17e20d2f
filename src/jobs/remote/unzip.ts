// src/jobs/remote/unzip.ts — unpacks the dataset zip a remote worker downloads (the server's kohya-layout
// export) into a folder, through yauzl (which checks every entry's name, sizes and CRC); an entry whose path would
// leave that folder is refused.
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { ToonloraError } from '../../errors.js';

function invalid(why: string): ToonloraError {
  return new ToonloraError('TL_ERR_INPUT_INVALID', `dataset zip: ${why}; download it again.`);
}

/** Writes every file entry of `zip` under `outDir` (folders made as needed); returns how many files it wrote. */
export async function unzipTo(zip: Buffer, outDir: string): Promise<number> {
  const root = resolve(outDir);
  let written = 0;
  try {
    const zipfile = await yauzl.fromBufferPromise(zip, { lazyEntries: true });
    for await (const entry of zipfile.eachEntry()) {
      if (entry.fileName.endsWith('/')) continue;
      const path = resolve(root, entry.fileName);
      if (!path.startsWith(root + sep))
        throw invalid(`${JSON.stringify(entry.fileName)} points outside the dataset folder`);
      await mkdir(dirname(path), { recursive: true });
      await pipeline(await zipfile.openReadStreamPromise(entry), createWriteStream(path));
      written += 1;
    }
  } catch (error) {
    if (error instanceof ToonloraError) throw error;
    throw invalid(error instanceof Error ? error.message : String(error));
  }
  return written;
}

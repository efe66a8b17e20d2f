// src/jobs/remote/unzip.ts — unpacks the dataset zip a remote worker downloads (the server's kohya-layout
// export: stored or deflated entries, read through the central directory) into a folder; an entry whose path
// would leave that folder, or a method other than those two, is refused.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { ToonloraError } from '../../errors.js';

const END_OF_DIRECTORY = 0x06054b50;
const DIRECTORY_ENTRY = 0x02014b50;

function invalid(why: string): ToonloraError {
  return new ToonloraError('TL_ERR_INPUT_INVALID', `dataset zip: ${why}; download it again.`);
}

/** The entries of `zip`: name and bytes (folders left out). */
export function zipEntries(zip: Buffer): Array<{ name: string; data: Buffer }> {
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== END_OF_DIRECTORY) end -= 1;
  if (end < 0) throw invalid('no end of central directory (the download was cut short?)');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const entries: Array<{ name: string; data: Buffer }> = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== DIRECTORY_ENTRY)
      throw invalid('a broken central directory');
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    at += 46 + skip;
    if (name.endsWith('/')) continue;
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + size);
    if (method !== 0 && method !== 8) throw invalid(`${name} uses compression method ${method}`);
    entries.push({ name, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) });
  }
  return entries;
}

/** Writes every entry of `zip` under `outDir`; returns how many files it wrote. */
export async function unzipTo(zip: Buffer, outDir: string): Promise<number> {
  const root = resolve(outDir);
  const entries = zipEntries(zip);
  for (const { name, data } of entries) {
    const path = resolve(root, name);
    if (!path.startsWith(root + sep))
      throw invalid(`${JSON.stringify(name)} points outside the dataset folder`);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, data);
  }
  return entries.length;
}

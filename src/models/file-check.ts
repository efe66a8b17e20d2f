// src/models/file-check.ts — whether a model file already on disk is the right one: its exact size
// (cheap, for `models list` / `doctor`) and its sha256 / md5 (read in full, for `models pull`), and
// moving a bad file aside as `<name>.corrupt` so nothing is deleted silently.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, statSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import type { ModelFile } from './registry.js';

/** The size problem of `path` against the registry (only where its size is exact), or undefined. */
export function checkFileSize(path: string, file: ModelFile): string | undefined {
  if (!file.sizeExact) return undefined;
  const size = statSync(path).size;
  return size === file.sizeBytes ? undefined : `size: expected ${file.sizeBytes} bytes, got ${size}`;
}

/**
 * {@link checkFileSize}, and for a file whose registry size is only a rounded figure: one under half of it
 * (an interrupted download or copy, a placeholder) is a problem too. Stat only, no hashing.
 */
export function checkFileLooksComplete(path: string, file: ModelFile): string | undefined {
  if (file.sizeExact) return checkFileSize(path, file);
  const size = statSync(path).size;
  return size * 2 < file.sizeBytes ? `size: expected about ${file.sizeBytes} bytes, got ${size}` : undefined;
}

/** Whether checking `file` reads the whole file (the registry has a sha256 or md5 for it). */
export function needsHashing(file: ModelFile): boolean {
  return file.sha256 !== undefined || file.md5 !== undefined;
}

/** A check of a file on disk ended by the caller's stop signal (Ctrl-C, a cancelled pull); the file is left as it was. */
export class VerifyStopped extends Error {
  constructor(readonly path: string) {
    super(`stopped while checking ${path}; it is left as it was`);
    this.name = 'VerifyStopped';
  }
}

/**
 * Size, then sha256 / md5 problems of `path` against the registry; empty when it is the right file. `signal`
 * ends the read of a large file at once (VerifyStopped), the file untouched.
 */
export async function checkFileContent(
  path: string,
  file: ModelFile,
  signal?: AbortSignal,
): Promise<string[]> {
  const sizeProblem = checkFileSize(path, file);
  if (sizeProblem) return [sizeProblem]; // no need to read a file of the wrong size
  if (!needsHashing(file)) return [];
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  try {
    for await (const chunk of createReadStream(path, { signal })) {
      sha256.update(chunk as Buffer);
      md5.update(chunk as Buffer);
    }
  } catch (error) {
    if (signal?.aborted) throw new VerifyStopped(path);
    throw error;
  }
  const problems: string[] = [];
  const sha = sha256.digest('hex');
  if (file.sha256 !== undefined && sha !== file.sha256) {
    problems.push(`sha256: expected ${file.sha256}, got ${sha}`);
  }
  const md5Hex = md5.digest('hex');
  if (file.md5 !== undefined && md5Hex !== file.md5)
    problems.push(`md5: expected ${file.md5}, got ${md5Hex}`);
  return problems;
}

function taken(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return existsSync(path);
  }
}

/**
 * Renames `path` to `<path>.corrupt` (`.corrupt-2`, `-3`… when taken) and returns the new path. A Hugging
 * Face cache symlink is renamed as a link: its blob stays where it is.
 */
export async function moveAside(path: string): Promise<string> {
  let target = `${path}.corrupt`;
  for (let n = 2; taken(target); n += 1) target = `${path}.corrupt-${n}`;
  await rename(path, target);
  return target;
}

// src/jobs/data-path.ts — turns a path stored relative to the server's data folder into an absolute one,
// refusing any that would leave the folder (the only way stored paths are resolved), and back (dataRel).
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ToonloraError } from '../errors.js';

/** Joins `rel` under `dataDir`; throws TL_ERR_USAGE when the result would leave the data folder. */
export function resolveDataPath(dataDir: string, rel: string): string {
  const root = resolve(dataDir);
  const full = resolve(root, rel);
  const back = relative(root, full);
  if (back === '' || back.startsWith(`..${sep}`) || back === '..' || isAbsolute(back)) {
    throw new ToonloraError('TL_ERR_USAGE', `${rel}: path leaves the data folder; refused.`);
  }
  return full;
}

/** `path` (absolute) relative to `dataDir`, with forward slashes: how the database and job logs record paths. */
export function dataRel(dataDir: string, path: string): string {
  return relative(dataDir, path).split(sep).join('/');
}

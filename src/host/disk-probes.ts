// src/host/disk-probes.ts — the file system facts that `toonlora doctor` reports and `models pull` checks before
// it writes: free and total space under a folder, and whether a folder toonlora would create can be written.
// Each probe reports what it found and never throws.
import { constants, existsSync } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

export const diskProbeSchema = z.object({
  /** The folder measured (toonlora's home, or its nearest existing parent). */
  path: z.string(),
  freeBytes: z.number().optional(),
  totalBytes: z.number().optional(),
  error: z.string().optional(),
});
export type DiskProbe = z.infer<typeof diskProbeSchema>;

/** Free and total bytes of the file system holding `path` (or its nearest existing parent). */
export async function probeDisk(path: string): Promise<DiskProbe> {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    const stats = await statfs(existing);
    return { path: existing, freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize };
  } catch (error) {
    return { path: existing, error: String(error) };
  }
}

/**
 * Why `path` (a folder toonlora would create and write in) cannot be written, or undefined when it can:
 * the folder itself when it exists, else its nearest existing parent, which must be a writable folder.
 */
export async function probeWritable(path: string): Promise<string | undefined> {
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    if (!(await stat(existing)).isDirectory()) return `${existing} is not a folder`;
    await access(existing, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return `${existing}: ${code ?? String(error)}`;
  }
}

// src/prep/manifest.ts — builds, validates, writes and reads `<out>/manifest.json` (schema in
// src/schemas/manifest.ts, shared with the server and the web UI).
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ToonloraError } from '../errors.js';
import type { PrepConfig } from '../schemas/config.js';
import { MANIFEST_VERSION, type Manifest, type ManifestFile, manifestSchema } from '../schemas/manifest.js';

export const MANIFEST_FILE = 'manifest.json';

/** Counts per status, crops and crop quality warnings over the files. Pure. */
export function summarise(files: readonly ManifestFile[]): Manifest['summary'] {
  return {
    files: files.length,
    ok: files.filter((f) => f.status === 'ok').length,
    skipped: files.filter((f) => f.status === 'skipped').length,
    error: files.filter((f) => f.status === 'error').length,
    crops: files.reduce((n, f) => n + f.crops.length, 0),
    warnings: files.reduce((n, f) => n + f.crops.reduce((m, c) => m + c.warnings.length, 0), 0),
  };
}

/** Assembles and validates a manifest (a schema mismatch here is a toonlora bug, so it throws plainly). */
export function buildManifest(fields: {
  createdAt: Date;
  datasetDir: string;
  settings: PrepConfig;
  stages: Manifest['stages'];
  cancelled: boolean;
  files: readonly ManifestFile[];
}): Manifest {
  return manifestSchema.parse({
    version: MANIFEST_VERSION,
    createdAt: fields.createdAt.toISOString(),
    datasetDir: fields.datasetDir,
    settings: fields.settings,
    stages: fields.stages,
    cancelled: fields.cancelled,
    summary: summarise(fields.files),
    files: fields.files,
  });
}

/** Writes `<outDir>/manifest.json` (pretty, UTF-8) and returns its path. */
export async function writeManifest(outDir: string, manifest: Manifest): Promise<string> {
  const path = join(outDir, MANIFEST_FILE);
  await writeFile(path, `${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
  return path;
}

/** Reads and validates a manifest; @throws ToonloraError TL_ERR_CONFIG_FILE naming the file and the problem. */
export function readManifest(path: string): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ToonloraError(
      'TL_ERR_CONFIG_FILE',
      `${path}: not a readable manifest (${(error as Error).message}).`,
    );
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ToonloraError(
      'TL_ERR_CONFIG_FILE',
      `${path}: not a toonlora manifest (${first?.path.join('.') || '(root)'}: ${first?.message}). Re-run toonlora prep.`,
    );
  }
  return parsed.data;
}

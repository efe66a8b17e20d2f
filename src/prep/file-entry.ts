// src/prep/file-entry.ts — a file's manifest entry when its stages give no crops: the defaults every
// path fills in, and the entry of a file whose stage work threw (a decode problem, or any other stage
// failure), worded for the summary. Pure.
import { basename } from 'node:path';
import { isToonloraError } from '../errors.js';
import type { ManifestFile } from '../schemas/manifest.js';

/** Decode failures that mean "nothing to learn from" rather than a broken file. */
const SKIP_DECODE_REASONS = new Set(['too-small']);

/** A file's manifest entry: `fields` over an error with no crops (the default every path fills in). */
export function fileEntry(
  source: string,
  timings: Record<string, number>,
  fields: Partial<ManifestFile>,
): ManifestFile {
  return {
    source,
    status: 'error',
    reason: null,
    reasonCode: null,
    crops: [],
    rejected: [],
    timingsMs: timings,
    ...fields,
  };
}

/** OpenCV.js throws bare numbers (a pointer to its exception); everything else has a message. */
function describeError(error: unknown): string {
  if (typeof error === 'number') return `OpenCV exception ${error}`;
  return error instanceof Error ? error.message : String(error);
}

/** The entry of a file whose stage work threw: a decode problem, or any other stage failure. */
export function failedEntry(source: string, timings: Record<string, number>, error: unknown): ManifestFile {
  if (isToonloraError(error) && error.code === 'TL_ERR_IMAGE_DECODE') {
    const reasonCode = String(error.details.reason ?? 'decode');
    const status = SKIP_DECODE_REASONS.has(reasonCode) ? 'skipped' : 'error';
    return fileEntry(source, timings, { status, reason: error.message, reasonCode });
  }
  return fileEntry(source, timings, {
    status: 'error',
    reason: `${basename(source)}: a prep stage failed (${describeError(error)}). The other files were processed.`,
    reasonCode: 'stage-failed',
  });
}

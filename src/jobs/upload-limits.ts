// src/jobs/upload-limits.ts — limits on uploaded screenshots (bytes, files per request, pixels),
// with the pixel default taken from the prep schema so the server and `prep` agree.
import { prepConfigSchema } from '../schemas/config.js';

export interface UploadLimits {
  /** Largest accepted file in bytes. */
  maxFileBytes: number;
  /** Files per upload request. */
  maxFiles: number;
  /** Largest accepted image in pixels (width x height), checked from the header before decoding. */
  maxPixels: number;
}

const PREP_DEFAULTS = prepConfigSchema.parse({});

export function uploadLimitsFrom(overrides: Partial<UploadLimits> = {}): UploadLimits {
  return {
    maxFileBytes: overrides.maxFileBytes ?? 25 * 1024 * 1024,
    maxFiles: overrides.maxFiles ?? 200,
    maxPixels: overrides.maxPixels ?? PREP_DEFAULTS.maxInputPixels,
  };
}

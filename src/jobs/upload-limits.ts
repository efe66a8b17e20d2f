// src/jobs/upload-limits.ts — limits on uploaded screenshots (bytes, files per request, pixels), with the pixel
// default taken from the prep schema so the server and `prep` agree, and on an uploaded LoRA file (bytes).
import { prepConfigSchema } from '../schemas/config.js';

export interface UploadLimits {
  /** Largest accepted file in bytes. */
  maxFileBytes: number;
  /** Files per upload request. */
  maxFiles: number;
  /** Largest accepted image in pixels (width x height), checked from the header before decoding. */
  maxPixels: number;
  /** Largest accepted LoRA file in bytes (POST /api/loras). */
  maxLoraBytes: number;
}

const PREP_DEFAULTS = prepConfigSchema.parse({});

export function uploadLimitsFrom(overrides: Partial<UploadLimits> = {}): UploadLimits {
  return {
    maxFileBytes: overrides.maxFileBytes ?? 25 * 1024 * 1024,
    maxFiles: overrides.maxFiles ?? 200,
    maxPixels: overrides.maxPixels ?? PREP_DEFAULTS.maxInputPixels,
    // SD1.5 LoRAs are ~10-150 MB (rank 128 in fp32: ~300 MB); a LyCORIS LoCon of every layer can be larger
    maxLoraBytes: overrides.maxLoraBytes ?? 512 * 1024 * 1024,
  };
}

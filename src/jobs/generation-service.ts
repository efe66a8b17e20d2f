// src/jobs/generation-service.ts — the warm generation service the generate runner uses: one
// long-lived worker keeps the base model loaded and swaps LoRAs; each call reports whether it paid
// the base load (the first call after start, or after a base change) or found it warm.

import type { GenerationTiming } from '../schemas/api.js';
import type { GenerationConfig } from '../schemas/config.js';

export interface GenerationRequest {
  generation: GenerationConfig;
  /** Absolute path of the LoRA file (kohya format), or undefined for the bare base. */
  loraPath?: string;
  /** LoRA weights to render, one row of images per weight (a sweep); default [generation.loraWeight]. */
  weights: readonly number[];
  /** Folder the images are written to (absolute). */
  outDir: string;
  signal?: AbortSignal;
}

export interface GeneratedImage {
  /** Absolute path of the PNG. */
  path: string;
  seed: number;
  weight: number;
}

export interface GenerationOutput {
  images: GeneratedImage[];
  timing: GenerationTiming;
}

export interface GenerationService {
  generate(request: GenerationRequest): Promise<GenerationOutput>;
  /** Stops the worker; the next call loads the base again. */
  close(): Promise<void>;
}

// src/jobs/generation-service.ts — the warm generation service the generate runner uses: one
// long-lived worker keeps the base model loaded and swaps LoRAs; each call reports whether it paid
// the base load (the first call after start, or after a base change) or found it warm. A deleted LoRA is
// forgotten by it (forgetLora).

import type { CacheOptions } from '../models/cache.js';
import type { GenerationTiming } from '../schemas/api.js';
import type { GenerationConfig } from '../schemas/config.js';

export interface GenerationRequest {
  generation: GenerationConfig;
  /** Absolute path of the LoRA file (kohya format), or undefined for the bare base. */
  loraPath?: string;
  /**
   * The LoRA's name as the user knows it (its artifact's name): the images' WebUI text names it (`<lora:name:w>`,
   * not the stored file's UUID), and an error naming `loraPath` (the server's own file) names `LoRA "<loraName>"`.
   */
  loraName?: string;
  /**
   * Where the base model (and a LoRA's converted copy) is looked for: the server's `modelCache`; default this
   * process's environment.
   */
  modelCache?: CacheOptions;
  /** LoRA weights to render, one row of images per weight (a sweep); default [generation.loraWeight]. */
  weights: readonly number[];
  /** Folder the images are written to (absolute). */
  outDir: string;
  /**
   * Aborting it cancels the batch being rendered (one batch per weight: all seeds of a weight at once) at
   * its next sampling step, writing none of its images, and starts no further batch; the output is
   * `stopped` and holds the batches already done.
   */
  signal?: AbortSignal;
  /** Called after each batch with its images (and grid), so callers can record them as they land. */
  onBatch?: (batch: GeneratedBatch) => void;
  /** Called after each sampling step of the batch in flight, so progress moves while an image renders. */
  onStep?: (step: SamplingStep) => void;
  /**
   * Called with each warning the worker gives about a batch (e.g. a prompt longer than CLIP reads); a
   * sweep may repeat it once per batch.
   */
  onWarning?: (message: string) => void;
}

/** One finished sampling step: `step`/`total` count within the batch (weight) `batch` of `batches`. */
export interface SamplingStep {
  weight: number;
  /** 1-based index of the batch (weight) being rendered. */
  batch: number;
  batches: number;
  step: number;
  total: number;
  itPerS: number | null;
  etaS: number | null;
}

export interface GeneratedImage {
  /** Absolute path of the PNG. */
  path: string;
  seed: number;
  weight: number;
}

/** All seeds of one weight side by side (written by the worker when there are several seeds). */
export interface GeneratedGrid {
  /** Absolute path of the PNG. */
  path: string;
  weight: number;
}

/** What one worker request produced: the images of one weight and, for several seeds, their grid. */
export interface GeneratedBatch {
  images: GeneratedImage[];
  grid: GeneratedGrid | null;
}

export interface GenerationOutput {
  images: GeneratedImage[];
  /** One grid per weight with several seeds; services without grids leave it out. */
  grids?: GeneratedGrid[];
  /** True when the signal stopped the run before every weight was rendered. */
  stopped?: boolean;
  timing: GenerationTiming;
}

export interface GenerationService {
  generate(request: GenerationRequest): Promise<GenerationOutput>;
  /**
   * The LoRA file at `loraPath` was deleted: a service that keeps LoRAs loaded between requests drops it, freeing its
   * memory (one that keeps none leaves this out). Called with no request using it; never throws.
   */
  forgetLora?(loraPath: string): void;
  /** Stops the worker; the next call loads the base again. */
  close(): Promise<void>;
}

// src/worker/blip.ts — BLIP captions (SPEC §1 step 5) through the Python worker, for the prep pipeline.
import { resolve } from 'node:path';
import { huggingFaceRepoOf } from '../models/registry.js';
import { prepConfigSchema } from '../schemas/config.js';
import { blipCaptionDoneSchema, PROTOCOL_VERSION, type WorkerEvent } from './protocol.js';
import { parseDone, runWorker, type WorkerSpawn } from './python-worker.js';

/** The registry's `blip-base` (what `toonlora models pull blip-base` fetches), by its Hugging Face id. */
export const BLIP_BASE_MODEL = huggingFaceRepoOf('blip-base');
const BLIP_DEFAULTS = prepConfigSchema.shape.blip.parse(undefined);

export interface BlipOptions {
  /** Max caption length in tokens (default from the prep schema: 50). */
  readonly maxLength?: number;
  /** Beam search width (default from the prep schema: 3). */
  readonly numBeams?: number;
  /** Hugging Face id in the local cache or a local folder (default Salesforce/blip-image-captioning-base). */
  readonly model?: string;
  readonly batchSize?: number;
  readonly onEvent?: (event: WorkerEvent) => void;
  readonly signal?: AbortSignal;
  readonly spawn?: WorkerSpawn;
}

/** One caption per input path, in input order; `caption` is null and `error` says why for unreadable files. */
export interface BlipCaption {
  readonly path: string;
  readonly caption: string | null;
  readonly error?: string;
}

/**
 * Captions images with BLIP (batched, beam search). One unreadable image never stops the others.
 * @throws TL_ERR_MODEL_MISSING ("toonlora models pull blip-base"), TL_ERR_WORKER, TL_ERR_PYTHON_ENV, TL_ERR_WORKER_PROTOCOL.
 */
export async function captionImagesWithBlip(
  paths: readonly string[],
  options: BlipOptions = {},
): Promise<BlipCaption[]> {
  const absolute = paths.map((path) => resolve(path));
  const byPath = new Map<string, BlipCaption>();
  const outcome = await runWorker({
    request: {
      version: PROTOCOL_VERSION,
      command: 'blip-caption',
      model: options.model ?? BLIP_BASE_MODEL,
      paths: absolute,
      max_length: options.maxLength ?? BLIP_DEFAULTS.maxLength,
      num_beams: options.numBeams ?? BLIP_DEFAULTS.numBeams,
      batch_size: options.batchSize ?? 8,
    },
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.spawn ? { spawn: options.spawn } : {}),
    onEvent: (event) => {
      if (event.type === 'caption') {
        byPath.set(event.path, {
          path: event.path,
          caption: event.caption,
          ...(event.error ? { error: event.error } : {}),
        });
      }
      options.onEvent?.(event);
    },
  });
  parseDone(blipCaptionDoneSchema, outcome, 'blip-caption'); // the captions came as events; `done` only counts them
  return absolute.map(
    (path, i) =>
      byPath.get(path) ?? { path: paths[i] ?? path, caption: null, error: `${path}: no caption came back` },
  );
}

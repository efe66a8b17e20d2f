// src/worker/blip.ts — BLIP captions (SPEC §1 step 5) through the Python worker, for the prep pipeline.
import { resolve } from 'node:path';
import { prepConfigSchema } from '../schemas/config.js';
import { PROTOCOL_VERSION, type WorkerEvent } from './protocol.js';
import { runWorker, type WorkerSpawn } from './python-worker.js';

export const BLIP_BASE_MODEL = 'Salesforce/blip-image-captioning-base';
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
 * @throws TL_ERR_MODEL_MISSING ("toonlora models pull blip-base"), TL_ERR_WORKER, TL_ERR_PYTHON_ENV.
 */
export async function captionImagesWithBlip(paths: readonly string[], options: BlipOptions = {}): Promise<BlipCaption[]> {
  const absolute = paths.map((path) => resolve(path));
  const byPath = new Map<string, BlipCaption>();
  await runWorker({
    command: 'blip-caption',
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
  return absolute.map(
    (path, i) => byPath.get(path) ?? { path: paths[i] ?? path, caption: null, error: `${path}: no caption came back` },
  );
}

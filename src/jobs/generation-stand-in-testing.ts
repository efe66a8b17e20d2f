// src/jobs/generation-stand-in-testing.ts — test support (never imported by the product): a stand-in for the
// Python generation worker, so the warm generation service and the server's generate jobs can be
// tested without Python. Shared by src/jobs/warm-generation.test.ts, test/server-generate-jobs.test.ts and
// test/server-generate-web-words.test.ts.
import type { GenerationWorker } from '../worker/generation-worker.js';
import type { ProgressEvent } from '../worker/protocol.js';

export interface StandInGenerationOptions {
  /** Report the config's sampling steps to `onEvent` at this many it/s, as the Python worker does; off when left out. */
  readonly samplingItPerS?: number;
  /** Awaited with the request's weight before it returns (hold a request, or act once it ran). */
  readonly beforeReturn?: (weight: number) => unknown;
  /** Writes each seed image and the grid (a real PNG writer); without it only their paths come back. */
  readonly writeImage?: (path: string, width: number, height: number) => Promise<void>;
}

/**
 * A generation worker factory answering every request with seed images and a grid under its
 * outputDir (load 2 s, 0.5 s per batch), the weights it was asked for, in order, and the base of each
 * worker it made (one per base load). A request whose signal is aborted by the time `beforeReturn`
 * settles comes back `stopped`, with no images.
 */
export function standInGenerationWorker(options: StandInGenerationOptions = {}): {
  factory: (baseModel: string) => GenerationWorker;
  requests: number[];
  workers: string[];
} {
  const requests: number[] = [];
  const workers: string[] = [];
  const factory = (baseModel: string) => {
    workers.push(baseModel);
    return {
      baseModel,
      ended: false,
      start: async () => ({ loadSeconds: 2, device: 'cpu' }),
      close: async () => {},
      unloadLora: () => {},
      generate: async (request: {
        outputDir: string;
        config: { loraWeight: number; seeds: number[]; steps: number };
        onEvent?: (event: ProgressEvent) => void;
        signal?: AbortSignal;
      }) => {
        const weight = request.config.loraWeight;
        requests.push(weight);
        await options.beforeReturn?.(weight);
        // Like the worker's `cancel`: a request aborted while it renders writes nothing.
        if (request.signal?.aborted) return { images: [], grid: null, timings: {}, notes: [], stopped: true };
        const total = request.config.steps;
        const itPerS = options.samplingItPerS;
        for (let step = 1; itPerS !== undefined && step <= total; step++) {
          request.onEvent?.({
            version: 1,
            type: 'progress',
            step,
            total,
            loss: null,
            lr: null,
            it_per_s: itPerS,
            eta_s: (total - step) / itPerS,
            id: `w${weight}`,
          });
        }
        const images = request.config.seeds.map((seed) => `${request.outputDir}/seed-${seed}.png`);
        const grid = `${request.outputDir}/grid.png`;
        if (options.writeImage) {
          for (const image of images) await options.writeImage(image, 8, 8);
          await options.writeImage(grid, 16, 8);
        }
        return { images, grid, timings: { swap_s: 0.01, generate_s: 0.5 }, notes: [], stopped: false };
      },
    } as unknown as GenerationWorker;
  };
  return { factory, requests, workers };
}

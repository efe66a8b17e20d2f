// src/jobs/warm-generation.ts — the GenerationService `toonlora serve` uses: one long-lived
// GenerationWorker (src/worker) that keeps the base model loaded and swaps LoRAs per request. The
// first request after start (or after a base change, or after training freed the GPU) pays the load.
// A request the worker refused (a bad LoRA file, a bad config) keeps it: only a dead, broken or failing worker restarts.
// A deleted LoRA is unloaded from the worker (forgetLora), so it holds no memory for a LoRA no one can use.
import { join } from 'node:path';
import { type ErrorCode, ToonloraError } from '../errors.js';
import type { CacheOptions } from '../models/cache.js';
import { GenerationWorker } from '../worker/generation-worker.js';
import type { ProgressEvent } from '../worker/protocol.js';
import type { WorkerSilenceLimits } from '../worker/silence-watchdog.js';
import type {
  GeneratedBatch,
  GeneratedGrid,
  GeneratedImage,
  GenerationOutput,
  GenerationRequest,
  GenerationService,
} from './generation-service.js';

/**
 * Makes the worker for a base model, looked for in `modelCache` (the request's: a server's own; default this
 * process's environment). Tests pass a stand-in spawn through this.
 */
export type GenerationWorkerFactory = (baseModel: string, modelCache?: CacheOptions) => GenerationWorker;

/**
 * A server's worker factory: the job's base model came over the API, so it is never read as a local path; with
 * `silence`, a worker that sends nothing for that long while it owes an answer is killed, its job fails saying so,
 * and the next job starts a fresh worker (GenerationWorker).
 */
export function serverWorkerFactory(silence?: WorkerSilenceLimits): GenerationWorkerFactory {
  return (base, modelCache) =>
    new GenerationWorker(base, undefined, {
      apiBaseModel: true,
      ...(silence ? { silence } : {}),
      ...(modelCache ? { modelCache } : {}),
    });
}

interface BatchTotals {
  images: GeneratedImage[];
  grids: GeneratedGrid[];
  loraSwapMs: number;
  generateMs: number;
  stopped: boolean;
}

/**
 * `error` with the request's LoRA file path (the server's internal `<uuid>.safetensors`) replaced by
 * `LoRA "<loraName>"` in its message; the error itself when the request has no name or the message no path.
 */
export function withLoraName(
  error: unknown,
  request: Pick<GenerationRequest, 'loraPath' | 'loraName'>,
): unknown {
  const { loraPath, loraName } = request;
  if (!(error instanceof ToonloraError) || !loraPath || !loraName || !error.message.includes(loraPath))
    return error;
  const text = error.text.replaceAll(loraPath, `LoRA "${loraName}"`);
  return new ToonloraError(error.code, text, { cause: error, details: error.details, fix: error.fix });
}

/**
 * Errors about the request itself: the worker answered them with an `error` event and went back to its loop
 * (serve_generation.py; a LoRA file refused half way leaves no adapter behind), or the request was refused
 * before it reached the worker (generate.ts checks the LoRA file and the base). Every other error (the worker
 * died, wrote something that is not the protocol, ran out of GPU memory, failed in an unknown way) restarts it.
 */
const REQUEST_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TL_ERR_CONFIG',
  'TL_ERR_CONFLICT',
  'TL_ERR_INPUT_INVALID',
  'TL_ERR_INPUT_NOT_FOUND',
  'TL_ERR_LORA_FORMAT',
  'TL_ERR_OUTPUT_WRITE',
  'TL_ERR_SAFETENSORS',
  'TL_ERR_USAGE',
]);

/** Whether the warm worker is still fit for the next request after a request failed with `error`. */
export function keepsWorker(error: unknown): boolean {
  return error instanceof ToonloraError && REQUEST_ERROR_CODES.has(error.code);
}

export class WarmGenerationService implements GenerationService {
  private worker: GenerationWorker | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly createWorker: GenerationWorkerFactory = serverWorkerFactory()) {}

  /** Requests run one at a time, in order (one worker, one GPU). */
  generate(request: GenerationRequest): Promise<GenerationOutput> {
    const run = this.tail.then(() => this.run(request));
    this.tail = run.catch(() => {});
    return run;
  }

  /**
   * Unloads the deleted LoRA file at `loraPath` from the warm worker, if it loaded it, at once (not after the requests
   * waiting here: none uses it, and the worker reads its lines in order).
   */
  forgetLora(loraPath: string): void {
    this.worker?.unloadLora(loraPath);
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.close();
  }

  private async run(request: GenerationRequest): Promise<GenerationOutput> {
    const started = performance.now();
    const { warm, loadMs } = await this.ensureWorker(request.generation.baseModel, request.modelCache);
    let totals: BatchTotals;
    try {
      totals = await this.renderBatches(this.worker as GenerationWorker, request);
    } catch (error) {
      // A request-level error keeps the base loaded; any other is started again by the next request.
      if (!keepsWorker(error)) await this.close().catch(() => {});
      throw withLoraName(error, request);
    }
    const { images, grids, loraSwapMs, generateMs, stopped } = totals;
    return {
      images,
      grids,
      stopped,
      timing: { warm, loadMs, loraSwapMs, generateMs, totalMs: performance.now() - started },
    };
  }

  /** Starts a worker for `base` unless the current one holds it and is still running; says whether it was warm. */
  private async ensureWorker(
    base: string,
    modelCache: CacheOptions | undefined,
  ): Promise<{ warm: boolean; loadMs: number }> {
    if (this.worker?.baseModel === base && !this.worker.ended) return { warm: true, loadMs: 0 };
    await this.close();
    this.worker = this.createWorker(base, modelCache);
    try {
      return { warm: false, loadMs: (await this.worker.start()).loadSeconds * 1000 };
    } catch (error) {
      this.worker = undefined;
      throw error;
    }
  }

  /**
   * One worker request per weight. Aborting `request.signal` cancels the request being rendered at its
   * next sampling step (the worker stays warm) and starts no further one; the batches already done stay.
   * The worker's sampling steps reach `request.onStep`, counted within the weight's batch; its warnings
   * about a request, `request.onWarning`.
   */
  private async renderBatches(worker: GenerationWorker, request: GenerationRequest): Promise<BatchTotals> {
    const totals: BatchTotals = { images: [], grids: [], loraSwapMs: 0, generateMs: 0, stopped: false };
    const { onStep, onWarning, weights } = request;
    for (const [batchIndex, weight] of weights.entries()) {
      if (request.signal?.aborted) {
        totals.stopped = true;
        break;
      }
      const result = await worker.generate({
        ...(request.loraPath ? { lora: request.loraPath } : {}),
        ...(request.loraPath && request.loraName ? { loraName: request.loraName } : {}),
        outputDir: request.weights.length > 1 ? join(request.outDir, `weight-${weight}`) : request.outDir,
        config: { ...request.generation, loraWeight: weight },
        ...(request.signal ? { signal: request.signal } : {}),
        ...(onWarning ? { onWarning } : {}),
        ...(onStep
          ? {
              onEvent: (event: ProgressEvent) =>
                onStep({
                  weight,
                  batch: batchIndex + 1,
                  batches: weights.length,
                  step: event.step,
                  total: event.total,
                  itPerS: event.it_per_s,
                  etaS: event.eta_s,
                }),
            }
          : {}),
      });
      if (result.stopped) {
        totals.stopped = true;
        break;
      }
      totals.loraSwapMs += (result.timings.swap_s ?? 0) * 1000;
      totals.generateMs += (result.timings.generate_s ?? 0) * 1000;
      const batch: GeneratedBatch = {
        images: result.images.map((path, index) => ({
          path,
          seed: request.generation.seeds[index] ?? index,
          weight,
        })),
        grid: result.grid ? { path: result.grid, weight } : null,
      };
      totals.images.push(...batch.images);
      if (batch.grid) totals.grids.push(batch.grid);
      request.onBatch?.(batch);
    }
    return totals;
  }
}

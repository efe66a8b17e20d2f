// src/jobs/warm-generation.ts — the GenerationService `toonlora serve` uses: one long-lived
// GenerationWorker (src/worker) that keeps the base model loaded and swaps LoRAs per request. The
// first request after start (or after a base change, or after training freed the GPU) pays the load.
import { join } from 'node:path';
import { GenerationWorker } from '../worker/generate.js';
import type {
  GeneratedImage,
  GenerationOutput,
  GenerationRequest,
  GenerationService,
} from './generation-service.js';

/** Makes the worker for a base model (tests pass a stand-in spawn through this). */
export type GenerationWorkerFactory = (baseModel: string) => GenerationWorker;

export class WarmGenerationService implements GenerationService {
  private worker: GenerationWorker | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly createWorker: GenerationWorkerFactory = (base) => new GenerationWorker(base),
  ) {}

  /** Requests run one at a time, in order (one worker, one GPU). */
  generate(request: GenerationRequest): Promise<GenerationOutput> {
    const run = this.tail.then(() => this.run(request));
    this.tail = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.close();
  }

  private async run(request: GenerationRequest): Promise<GenerationOutput> {
    const started = performance.now();
    const base = request.generation.baseModel;
    let warm = true;
    let loadMs = 0;
    if (this.worker?.baseModel !== base) {
      await this.close();
      warm = false;
      this.worker = this.createWorker(base);
      try {
        loadMs = (await this.worker.start()).loadSeconds * 1000;
      } catch (error) {
        this.worker = undefined;
        throw error;
      }
    }
    const worker = this.worker as GenerationWorker;
    const images: GeneratedImage[] = [];
    let loraSwapMs = 0;
    let generateMs = 0;
    try {
      for (const weight of request.weights) {
        const result = await worker.generate({
          ...(request.loraPath ? { lora: request.loraPath } : {}),
          outputDir: request.weights.length > 1 ? join(request.outDir, `weight-${weight}`) : request.outDir,
          config: { ...request.generation, loraWeight: weight },
        });
        loraSwapMs += (result.timings.swap_s ?? 0) * 1000;
        generateMs += (result.timings.generate_s ?? 0) * 1000;
        result.images.forEach((path, index) => {
          images.push({ path, seed: request.generation.seeds[index] ?? index, weight });
        });
      }
    } catch (error) {
      // A dead worker is started again by the next request.
      await this.close().catch(() => {});
      throw error;
    }
    return { images, timing: { warm, loadMs, loraSwapMs, generateMs, totalMs: performance.now() - started } };
  }
}

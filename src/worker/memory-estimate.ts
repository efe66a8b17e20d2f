// src/worker/memory-estimate.ts — a training run's peak GPU memory, estimated by the worker's
// `estimate-memory` command on the SD1.5 (or tiny) configs without weights or a GPU
// (trainer/toonlora_trainer/memory_estimate.py: fake tensors, CUDA's autocast policy). Shown by
// `toonlora train --dry-run`.
import type { TrainingConfig } from '../schemas/config.js';
import { architectureOf, estimateMemoryDoneSchema, PROTOCOL_VERSION } from './protocol.js';
import { parseDone, runWorker, type WorkerSpawn } from './python-worker.js';
import { workerTrainingConfig } from './train.js';

/** GiB of PyTorch tensors on the GPU; the CUDA context comes on top. */
export interface MemoryEstimate {
  /** The run's peak: the larger of the training step's and the sample pass's. */
  readonly peakGiB: number;
  readonly stepPeakGiB: number;
  /** 0 when the config renders no samples (sampleEverySteps 0). */
  readonly samplePeakGiB: number;
  /** Before the first step: the weights on the GPU and the cached latents. */
  readonly residentGiB: number;
  /**
   * The CUDA context and kernels, outside PyTorch's allocator, to add to the peak: a rough figure (it varies by GPU
   * and driver), the one the worker warns with before a GPU run (memory_estimate.py CUDA_CONTEXT_BYTES).
   */
  readonly cudaContextGiB: number;
  readonly estimatedOn: string;
}

/**
 * The run's peak GPU memory, estimated by the worker (fake tensors, no weights, no GPU).
 * @throws TL_ERR_WORKER_PROTOCOL when the worker's `done` lacks a figure or sends one as null (non-finite), the
 *   worker's own errors otherwise.
 */
export async function estimateTrainingMemory(
  config: TrainingConfig,
  spawn?: WorkerSpawn,
): Promise<MemoryEstimate> {
  const unet = architectureOf(config.baseModel);
  const outcome = await runWorker({
    request: {
      version: PROTOCOL_VERSION,
      command: 'estimate-memory',
      unet,
      config: workerTrainingConfig(config),
    },
    ...(spawn ? { spawn } : {}),
  });
  const { stats } = parseDone(estimateMemoryDoneSchema, outcome, 'estimate-memory');
  return {
    peakGiB: stats.peak_gib,
    stepPeakGiB: stats.step_peak_gib,
    samplePeakGiB: stats.sample_peak_gib,
    residentGiB: stats.resident_gib,
    cudaContextGiB: stats.cuda_context_gib,
    estimatedOn: unet === 'sd15' ? 'SD1.5 configs, no weights loaded' : 'tiny configs',
  };
}

/**
 * Whether a run of `steps` steps renders sample images: the trainer renders them after each step that is a
 * multiple of sampleEverySteps (train.py), so none when the run ends before the first such step.
 */
export function rendersSamples(steps: number, sampleEverySteps: number): boolean {
  return sampleEverySteps > 0 && steps >= sampleEverySteps;
}

/** The config the estimate is made for: without the sample pass when a run of `steps` steps renders none. */
export function estimatedConfig(config: TrainingConfig, steps: number): TrainingConfig {
  return rendersSamples(steps, config.sampleEverySteps) ? config : { ...config, sampleEverySteps: 0 };
}

/**
 * One paragraph for --dry-run: the peak, what sets it, and what the figure leaves out. `config.steps` is the
 * run's length (epochs resolved), which says whether samples are rendered at all.
 */
export function describeMemoryEstimate(estimate: MemoryEstimate, config: TrainingConfig): string {
  const gib = (value: number) => `${value.toFixed(2)} GiB`;
  const setup = [
    config.mixedPrecision === 'no' ? 'fp32' : config.mixedPrecision,
    `batch ${config.batchSize}`,
    `${config.resolution} px`,
    `gradient checkpointing ${config.gradientCheckpointing ? 'on' : 'off'}`,
    ...(config.trainTextEncoder ? ['text-encoder LoRA'] : []),
  ].join(', ');
  const sampling = estimate.samplePeakGiB > estimate.stepPeakGiB;
  const parts = [
    `estimated peak GPU memory: ${gib(estimate.peakGiB)} (${setup}; ${estimate.estimatedOn}).`,
    sampling
      ? `  The peak comes while rendering the ${config.sampleSeeds.length} sample image(s) every ${config.sampleEverySteps} steps; a training step needs ${gib(estimate.stepPeakGiB)}. Fewer sampleSeeds, or sampleEverySteps = 0, in the --config file's [training] section lower it.`
      : `  A training step needs ${gib(estimate.stepPeakGiB)}${estimate.samplePeakGiB > 0 ? `; rendering the samples ${gib(estimate.samplePeakGiB)}` : ''}.` +
        (config.sampleEverySteps > 0 && !rendersSamples(config.steps, config.sampleEverySteps)
          ? ` No sample images are rendered: the ${config.steps} steps end before the first sample, at step ${config.sampleEverySteps}.`
          : ''),
    `  Weights and cached latents: ${gib(estimate.residentGiB)}. Add about ${estimate.cudaContextGiB} GiB for the CUDA context` +
      (config.compile ? '; the compiled step is not estimated (this is the eager one).' : '.'),
  ];
  return parts.join('\n');
}

// src/worker/memory-estimate.ts — a training run's peak GPU memory, estimated by the worker's
// `estimate-memory` command on the SD1.5 (or tiny) configs without weights or a GPU
// (trainer/toonlora_trainer/memory_estimate.py: fake tensors, CUDA's autocast policy). Shown by
// `toonlora train --dry-run`.
import type { TrainingConfig } from '../schemas/config.js';
import { architectureOf, PROTOCOL_VERSION } from './protocol.js';
import { runWorker, type WorkerSpawn } from './python-worker.js';
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
  readonly estimatedOn: string;
}

/** The CUDA context and kernels, outside PyTorch's allocator: a rough figure, it varies by GPU and driver. */
export const CUDA_CONTEXT_GIB = 0.5;

export async function estimateTrainingMemory(config: TrainingConfig, spawn?: WorkerSpawn): Promise<MemoryEstimate> {
  const unet = architectureOf(config.baseModel);
  const outcome = await runWorker({
    command: 'estimate-memory',
    request: { version: PROTOCOL_VERSION, command: 'estimate-memory', unet, config: workerTrainingConfig(config) },
    ...(spawn ? { spawn } : {}),
  });
  const stats = outcome.status === 'done' ? outcome.done.stats : {};
  return {
    peakGiB: Number(stats.peak_gib),
    stepPeakGiB: Number(stats.step_peak_gib),
    samplePeakGiB: Number(stats.sample_peak_gib),
    residentGiB: Number(stats.resident_gib),
    estimatedOn: unet === 'sd15' ? 'SD1.5 configs, no weights loaded' : 'tiny configs',
  };
}

/** One paragraph for --dry-run: the peak, what sets it, and what the figure leaves out. */
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
      : `  A training step needs ${gib(estimate.stepPeakGiB)}${estimate.samplePeakGiB > 0 ? `; rendering the samples ${gib(estimate.samplePeakGiB)}` : ''}.`,
    `  Weights and cached latents: ${gib(estimate.residentGiB)}. Add about ${CUDA_CONTEXT_GIB} GiB for the CUDA context` +
      (config.compile ? '; the compiled step is not estimated (this is the eager one).' : '.'),
  ];
  return parts.join('\n');
}

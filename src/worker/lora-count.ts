// src/worker/lora-count.ts — the real LoRA size (modules, trainable parameters) for a training config,
// counted by the worker's `lora-count` command on the SD1.5 (or tiny) UNet and CLIP configs, without
// weights. Shared by `toonlora train --dry-run` and `toonlora doctor`.
import { effectiveLoraAlpha, type TrainingConfig } from '../schemas/config.js';
import { architectureOf, loraCountDoneSchema, PROTOCOL_VERSION } from './protocol.js';
import { parseDone, runWorker, type WorkerSpawn } from './python-worker.js';

export interface LoraCount {
  readonly lora: { modules: number; trainableParams: number; unetParams: number; countedOn: string };
  /** The text encoder's LoRA, when the config trains it (--train-text-encoder). */
  readonly textEncoderLora?: { modules: number; trainableParams: number; textEncoderParams: number };
}

/**
 * LoRA module / parameter counts from the real SD1.5 UNet and CLIP configs, built without weights by the worker.
 * @throws TL_ERR_WORKER_PROTOCOL when the worker's `done` lacks a count, the worker's own errors otherwise.
 */
export async function countLora(config: TrainingConfig, spawn?: WorkerSpawn): Promise<LoraCount> {
  const unet = architectureOf(config.baseModel);
  const outcome = await runWorker({
    request: {
      version: PROTOCOL_VERSION,
      command: 'lora-count',
      unet,
      lora: { ...config.lora, alpha: effectiveLoraAlpha(config.lora) },
    },
    ...(spawn ? { spawn } : {}),
  });
  const { stats } = parseDone(loraCountDoneSchema, outcome, 'lora-count');
  return {
    lora: {
      modules: stats.modules,
      trainableParams: stats.trainable_params,
      unetParams: stats.unet_params,
      countedOn: unet === 'sd15' ? 'SD1.5 UNet config (no weights loaded)' : 'tiny UNet config',
    },
    ...(config.trainTextEncoder
      ? {
          textEncoderLora: {
            modules: stats.text_encoder_modules,
            trainableParams: stats.text_encoder_trainable_params,
            textEncoderParams: stats.text_encoder_params,
          },
        }
      : {}),
  };
}

// src/server/serve-services.ts — the real services `toonlora serve` plugs into the app: the warm
// generation worker (with its silence watchdog) and the LoRA tools (tests build the app with their own).
import { serverWorkerFactory, WarmGenerationService } from '../jobs/warm-generation.js';
import { SERVE_DEFAULTS } from '../schemas/serve-defaults.js';
import type { WorkerSilenceLimits } from '../worker/silence-watchdog.js';
import type { AppOptions } from './app.js';
import { defaultLoraTools } from './lora-tools.js';

/** `workerSilence`: how long the generation worker may send nothing (seconds); default SERVE_DEFAULTS'. */
export function createServeServices(
  workerSilence: WorkerSilenceLimits = {
    loadS: SERVE_DEFAULTS.workerLoadTimeoutS,
    requestS: SERVE_DEFAULTS.workerTimeoutS,
  },
): Pick<AppOptions, 'generation' | 'loraTools'> {
  return {
    loraTools: defaultLoraTools,
    generation: new WarmGenerationService(serverWorkerFactory(workerSilence)),
  };
}

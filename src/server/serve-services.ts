// src/server/serve-services.ts — the real services `toonlora serve` plugs into the app: the warm
// generation worker and the LoRA tools (tests build the app with their own).
import { WarmGenerationService } from '../jobs/warm-generation.js';
import type { AppOptions } from './app.js';
import { defaultLoraTools } from './lora-tools.js';

export function createServeServices(): Pick<AppOptions, 'generation' | 'loraTools'> {
  return { loraTools: defaultLoraTools, generation: new WarmGenerationService() };
}

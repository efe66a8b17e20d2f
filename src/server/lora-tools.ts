// src/server/lora-tools.ts — what the LoRA routes need from src/lora (inspect, convert to diffusers),
// behind one small interface so the routes stay thin.
import { notImplemented } from '../errors.js';

export interface LoraTools {
  /** Metadata, format, rank / alpha per module ... as `toonlora inspect --json` reports it. */
  inspect(path: string): Promise<Record<string, unknown>>;
  /** Writes the diffusers-format copy of a kohya LoRA to `outPath`. */
  convertToDiffusers(path: string, outPath: string): Promise<void>;
}

export const defaultLoraTools: LoraTools = {
  inspect: async () => notImplemented('LoRA inspect', 'issue 3: LoRA formats'),
  convertToDiffusers: async () => notImplemented('LoRA conversion', 'issue 3: LoRA formats'),
};

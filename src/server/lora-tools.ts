// src/server/lora-tools.ts — what the LoRA routes need from src/lora (inspect, convert to diffusers),
// behind one small interface so the routes stay thin and tests can stand in.
import { convertLora } from '../lora/convert.js';
import { inspectLora } from '../lora/inspect.js';

export interface LoraTools {
  /** `toonlora inspect --json`'s facts, with the per-module list reduced to a count (128 rows for SD1.5). */
  inspect(path: string): Promise<Record<string, unknown>>;
  /** Writes the diffusers-format copy of a kohya LoRA to `outPath` (never overwrites). */
  convertToDiffusers(path: string, outPath: string): Promise<void>;
}

export const defaultLoraTools: LoraTools = {
  inspect: async (path) => {
    const { modules, file: _file, ...rest } = await inspectLora(path);
    return { ...rest, moduleCount: modules.length };
  },
  convertToDiffusers: async (path, outPath) => {
    await convertLora({ input: path, output: outPath, to: 'diffusers' });
  },
};

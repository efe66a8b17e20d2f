// src/server/lora-tools.ts — what the LoRA routes need from src/lora (inspect, convert for a download, check
// an uploaded LoRA), behind one small interface so the routes stay thin and tests can stand in.
import { basename } from 'node:path';
import { ToonloraError } from '../errors.js';
import type { LoraUploadFacts } from '../jobs/upload-lora.js';
import { convertLora } from '../lora/convert.js';
import { type InspectResult, inspectLora } from '../lora/inspect.js';
import { openSafetensors } from '../lora/safetensors-read.js';
import { sdxlSignals, sdxlWarning } from '../lora/sdxl-check.js';
import type { LoraFormat } from '../schemas/api.js';

export interface LoraTools {
  /** `toonlora inspect --json`'s facts, with the per-module list reduced to a count (128 rows for SD1.5). */
  inspect(path: string): Promise<Record<string, unknown>>;
  /**
   * Writes a download copy of a LoRA to `outPath` (never overwrites): kohya (of an uploaded diffusers / PEFT
   * file), kohya in fp16, diffusers, or a PEFT adapter folder.
   * @throws ToonloraError TL_ERR_OUTPUT_EXISTS when `outPath` exists; convert's refusals
   */
  convertForDownload(path: string, outPath: string, format: LoraFormat): Promise<void>;
  /**
   * Checks an uploaded file (`name`: how the user named it) is an SD1.5 LoRA or LoKr that generate can use;
   * resolves with the facts kept as the artifact's meta (format, algorithm, module count, trigger).
   * @throws ToonloraError TL_ERR_SAFETENSORS (not a safetensors file) or TL_ERR_LORA_FORMAT (inspect's reason)
   */
  checkUpload(path: string, name: string): Promise<LoraUploadFacts>;
}

/**
 * Why generate cannot use the LoRA inspect describes (inspect's own warnings; for an SDXL LoRA, only that),
 * or undefined when it can: no LoRA keys, no complete module (LoHa, LyCORIS full), an SDXL LoRA, modules of
 * another base model, or tensors that belong to no module (generate refuses them).
 */
export function uploadRefusal(facts: InspectResult, sdxl: readonly string[]): string | undefined {
  const unusable =
    facts.format === 'unknown' ||
    facts.modules.length === 0 ||
    sdxl.length > 0 ||
    facts.modules.some((m) => !m.sd15) ||
    facts.unknownKeys.length > 0;
  if (!unusable) return undefined;
  if (sdxl.length > 0) return sdxlWarning(sdxl);
  return facts.warnings.join(' ') || 'it holds no SD1.5 LoRA module toonlora can apply.';
}

/** inspect's error about the stored file, naming the file as the user did (not its generated name). */
function namedAs(error: unknown, path: string, name: string): unknown {
  if (!(error instanceof ToonloraError)) return error;
  const message = error.message.split(path).join(name).split(basename(path)).join(name);
  return new ToonloraError(error.code, `${message} Nothing was stored.`, { cause: error });
}

async function checkUpload(path: string, name: string): Promise<LoraUploadFacts> {
  let facts: InspectResult;
  let sdxl: string[];
  try {
    facts = await inspectLora(path);
    const reader = await openSafetensors(path);
    await reader.close();
    sdxl = sdxlSignals(
      reader.header.tensors.map((t) => t.name),
      reader.header.metadata,
    );
  } catch (error) {
    throw namedAs(error, path, name);
  }
  const refusal = uploadRefusal(facts, sdxl);
  if (refusal) {
    throw new ToonloraError(
      'TL_ERR_LORA_FORMAT',
      `${name}: not an SD1.5 LoRA toonlora can generate with, so nothing was stored: ${refusal}`,
      { details: { file: name, warnings: facts.warnings } },
    );
  }
  return {
    format: facts.format,
    algorithm: facts.algorithm,
    moduleCount: facts.modules.length,
    ...(facts.trigger ? { trigger: facts.trigger } : {}),
  };
}

export const defaultLoraTools: LoraTools = {
  inspect: async (path) => {
    const { modules, file: _file, ...rest } = await inspectLora(path);
    return { ...rest, moduleCount: modules.length };
  },
  convertForDownload: async (path, outPath, format) => {
    const to = format === 'kohya-fp16' ? 'kohya' : format;
    await convertLora({
      input: path,
      output: outPath,
      to,
      ...(format === 'kohya-fp16' ? { precision: 'fp16' } : {}),
    });
  },
  checkUpload,
};

// src/server/lora-tools.ts — what the LoRA routes need from src/lora (inspect, convert for a download, check
// an uploaded LoRA), behind one small interface so the routes stay thin and tests can stand in.
import { basename } from 'node:path';
import { ToonloraError } from '../errors.js';
import type { LoraUploadFacts } from '../jobs/upload-lora.js';
import { convertLora } from '../lora/convert.js';
import { type InspectResult, inspectLoraFindings } from '../lora/inspect.js';
import { type InspectWarning, warningInWords } from '../lora/inspect-warnings.js';
import { openSafetensors } from '../lora/safetensors-read.js';
import { sdxlSignals } from '../lora/sdxl-check.js';
import type { LoraFormat } from '../schemas/api.js';
import {
  inspectPanelVerdicts,
  inspectPanelWarnings,
  UPLOAD_WARNING_WORDS,
  uploadRefusal,
  uploadRefusalMessage,
} from './lora-upload-refusal.js';

export interface LoraTools {
  /**
   * `toonlora inspect --json`'s facts, with the per-module list reduced to a count (128 rows for SD1.5) and its
   * verdict notes and `warnings` in the web app's words (lora-upload-refusal.ts inspectPanelVerdicts / Warnings).
   */
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

/** inspect's error about the stored file, naming the file as the user did (not its generated name). */
function namedAs(error: unknown, path: string, name: string): unknown {
  if (!(error instanceof ToonloraError)) return error;
  const message = error.message.split(path).join(name).split(basename(path)).join(name);
  return new ToonloraError(error.code, `${message} Nothing was stored.`, { cause: error });
}

async function checkUpload(path: string, name: string): Promise<LoraUploadFacts> {
  let facts: InspectResult;
  let warnings: readonly InspectWarning[];
  let sdxl: string[];
  try {
    ({ result: facts, warnings } = await inspectLoraFindings(path));
    const reader = await openSafetensors(path);
    await reader.close();
    sdxl = sdxlSignals(
      reader.header.tensors.map((t) => t.name),
      reader.header.metadata,
    );
  } catch (error) {
    throw namedAs(error, path, name);
  }
  const refusal = uploadRefusal(facts, warnings, sdxl);
  if (refusal) {
    // the web app's LoRA page shows it: in its words, not inspect's (`convert --to diffusers`)
    throw new ToonloraError('TL_ERR_LORA_FORMAT', uploadRefusalMessage(name, refusal), {
      details: {
        file: name,
        warnings: warnings.map((w) => warningInWords(w, UPLOAD_WARNING_WORDS)).filter(Boolean),
      },
    });
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
    const { result, warnings, verdicts } = await inspectLoraFindings(path);
    const { modules, file: _file, ...rest } = result;
    // the LoRA page shows them: in its words, not inspect's (`convert refuses the file unless --drop-unknown`)
    return {
      ...rest,
      compatibility: inspectPanelVerdicts(verdicts),
      warnings: inspectPanelWarnings(warnings),
      moduleCount: modules.length,
    };
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

// src/worker/lora-input-check.ts — a generate's own paths, checked on this machine's disk alone (no model, no
// worker): the --lora (there, a PEFT folder with its adapter file, and a file that reads as a .safetensors, not an
// image, an HTML page or a Git LFS pointer: safetensors-read.ts names those), then the -o folder (output-folder.ts).
// Cheap, so the CLI runs them before the base checks: the user's own path is what a typo in it is named for,
// whatever the base.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorFix } from '../error-fix.js';
import { ToonloraError } from '../errors.js';
import { checkOutputFolder } from '../output-folder.js';
import { ADAPTER_WEIGHTS } from '../lora/open-lora.js';
import { openSafetensors } from '../lora/safetensors-read.js';

/**
 * `lora` is there: a file, or a folder holding adapter_model.safetensors (a PEFT adapter).
 * @throws TL_ERR_INPUT_NOT_FOUND (no such path), TL_ERR_USAGE (a folder without the adapter file)
 */
export function checkLoraPath(lora: string): void {
  if (!existsSync(lora)) {
    throw new ToonloraError('TL_ERR_INPUT_NOT_FOUND', `${lora}: LoRA file not found. Check --lora.`);
  }
  if (statSync(lora).isDirectory() && !existsSync(join(lora, ADAPTER_WEIGHTS))) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `${lora}: is a folder with no ${ADAPTER_WEIGHTS}, so not a PEFT adapter. Give --lora a LoRA .safetensors file (a training run writes <run-dir>/<run-name>.safetensors) or a PEFT adapter folder.`,
    );
  }
}

/**
 * checkLoraPath, then the safetensors header of the file (a folder's adapter_model.safetensors) is read: an image,
 * an HTML page, a Git LFS pointer or a truncated file is refused in safetensors-read.ts's words. Left out
 * (undefined): nothing to check. What the tensors hold (SDXL, key formats) is chooseLoraFile's, later.
 * @throws TL_ERR_INPUT_NOT_FOUND, TL_ERR_USAGE (checkLoraPath), TL_ERR_SAFETENSORS (not a readable .safetensors)
 */
export async function checkLoraInput(lora: string | undefined): Promise<void> {
  if (lora === undefined) return;
  checkLoraPath(lora);
  const file = statSync(lora).isDirectory() ? join(lora, ADAPTER_WEIGHTS) : lora;
  const reader = await openSafetensors(file);
  await reader.close();
}

/** The fix a generate's unwritable -o is named with (the CLI's early check and runGeneration's alike). */
export const GENERATE_OUTPUT_FIX: ErrorFix = { kind: 'writable-output', folder: 'output' };

/**
 * A generate's cheap local checks, in the order the CLI names them: the --lora (checkLoraInput), then the -o folder
 * (a file, or not writable: output-folder.ts checkOutputFolder), as train checks its -o before the base.
 * @throws what checkLoraInput throws; TL_ERR_USAGE for an -o that cannot be written
 */
export async function checkGenerateLocalInputs(lora: string | undefined, outputDir: string): Promise<void> {
  await checkLoraInput(lora);
  checkOutputFolder(outputDir, GENERATE_OUTPUT_FIX);
}

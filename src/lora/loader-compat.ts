// src/lora/loader-compat.ts — would AUTOMATIC1111, ComfyUI and diffusers map each key of a LoRA file
// onto SD1.5 (pure)? `checkLoaderCompatibility` runs the three ports, one module each, checked against
// the module lists of sd15-modules.ts:
// - loader-a1111.ts: AUTOMATIC1111 stable-diffusion-webui extensions-builtin/Lora/networks.py;
// - loader-comfyui.ts: ComfyUI comfy/lora.py key maps and comfy/weight_adapter/lora.py suffixes;
// - loader-diffusers.ts: diffusers 0.42.1 `_convert_non_diffusers_lora_to_diffusers` and its notes.
// Also re-exported from here for callers: which kohya alphas diffusers applies wrong
// (diffusers-alphas.ts).
import { checkA1111 } from './loader-a1111.js';
import { checkComfyUi } from './loader-comfyui.js';
import { checkDiffusers } from './loader-diffusers.js';
import type { LoaderVerdict } from './loader-verdict.js';

export { a1111CompvisName } from './compvis-names.js';
export {
  type AlphaModule,
  DIFFUSERS_KOHYA_ALPHA_NOTE,
  diffusersMisreadAlphas,
  diffusersMisreadsAlphas,
  type MisreadAlpha,
} from './diffusers-alphas.js';
export { checkA1111 } from './loader-a1111.js';
export { checkComfyUi, comfyModuleNames } from './loader-comfyui.js';
export {
  checkDiffusers,
  DIFFUSERS_DORA_NOTE,
  DIFFUSERS_LDM_NOTE,
  DIFFUSERS_LOKR_NOTE,
  DIFFUSERS_TEXT_MODEL_TARGETS_NOTE,
  diffusersConv1x1Note,
  diffusersLostTextEncoderModules,
  diffusersLostTextEncoderNote,
  diffusersMissesTextModelTargets,
  type LostTextEncoderModules,
} from './loader-diffusers.js';
export type { LoaderName, LoaderVerdict } from './loader-verdict.js';

/** All three verdicts for a file's tensor keys. */
export function checkLoaderCompatibility(keys: readonly string[]): LoaderVerdict[] {
  return [checkA1111(keys), checkComfyUi(keys), checkDiffusers(keys)];
}

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
import { diffusersFindings } from './loader-diffusers.js';
import type { LoaderVerdict } from './loader-verdict.js';
import {
  INSPECT_VERDICT_NOTE_WORDS,
  type LoaderFindings,
  textFindings,
  verdictInWords,
} from './verdict-notes.js';

export { a1111CompvisName } from './compvis-names.js';
export {
  type AlphaModule,
  DIFFUSERS_KOHYA_ALPHA_FACTS,
  DIFFUSERS_KOHYA_ALPHA_NOTE,
  diffusersMisreadAlphas,
  diffusersMisreadsAlphas,
  type MisreadAlpha,
} from './diffusers-alphas.js';
export { checkA1111 } from './loader-a1111.js';
export { checkComfyUi, comfyModuleNames } from './loader-comfyui.js';
export {
  DIFFUSERS_DORA_NOTE,
  DIFFUSERS_LDM_NOTE,
  DIFFUSERS_LOKR_NOTE,
  DIFFUSERS_TEXT_MODEL_TARGETS_NOTE,
  diffusersConv1x1Facts,
  diffusersConv1x1Note,
  diffusersLostTextEncoderFacts,
  diffusersLostTextEncoderModules,
  diffusersLostTextEncoderNote,
  diffusersMissesTextModelTargets,
  type LostTextEncoderModules,
} from './loader-diffusers.js';
export type { LoaderName, LoaderVerdict } from './loader-verdict.js';

/** diffusers' verdict for a file's tensor keys, in inspect's words. */
export function checkDiffusers(keys: readonly string[]): LoaderVerdict {
  return verdictInWords(diffusersFindings(keys), INSPECT_VERDICT_NOTE_WORDS);
}

/** All three verdicts for a file's tensor keys, in inspect's words. */
export function checkLoaderCompatibility(keys: readonly string[]): LoaderVerdict[] {
  return checkLoaderFindings(keys).map((findings) => verdictInWords(findings, INSPECT_VERDICT_NOTE_WORDS));
}

/** All three verdicts for a file's tensor keys, their notes as data (verdict-notes.ts). */
export function checkLoaderFindings(keys: readonly string[]): LoaderFindings[] {
  return [textFindings(checkA1111(keys)), textFindings(checkComfyUi(keys)), diffusersFindings(keys)];
}

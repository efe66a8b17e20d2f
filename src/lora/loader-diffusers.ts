// src/lora/loader-diffusers.ts — would diffusers 0.42.1 `load_lora_weights` load each key of a LoRA
// file onto an SD1.5 pipeline (pure)? A port of loaders/lora_conversion_utils.py
// `_convert_non_diffusers_lora_to_diffusers` for kohya files and the `unet.` / `text_encoder.` key
// prefixes for the others; the text-encoder modules it loses, and the notes inspect / convert give.
import { ldmModuleNames } from './compvis-names.js';
import { loadsNothingNote, strictVerdict } from './loader-verdict.js';
import { parsePeftStyleKey } from './lora-keys.js';
import { knownKohyaNames, sd15TextEncoderModules, sd15UnetModules } from './sd15-modules.js';
import type { LoaderFindings, VerdictNote } from './verdict-notes.js';

const DIFFUSERS_UNET = new Set(sd15UnetModules());
const DIFFUSERS_TE = new Set(sd15TextEncoderModules());

/**
 * diffusers `load_lora_weights` on an SD1.5 pipeline, its notes as data (verdict-notes.ts words them). kohya files
 * (every key `lora_unet_` / `lora_te_`) go through `_convert_non_diffusers_lora_to_diffusers`, which raises on any
 * key it did not rename; other files must be `unet.` / `text_encoder.` PEFT-style keys.
 */
export function diffusersFindings(keys: readonly string[]): LoaderFindings {
  const notes: VerdictNote[] = [];
  const text = (t: string): VerdictNote => ({ kind: 'text', text: t });
  const isKohya = keys.length > 0 && keys.every((k) => /^lora_(unet|te|te1|te2)_/.test(k));
  const known = knownKohyaNames();
  const lokr = keys.some((k) => k.includes('.lokr_'));
  // Only the alphas of lora_down modules are renamed: a LoKr module's or a weightless module's is left over.
  const loraDown = new Set(keys.filter((k) => k.endsWith('.lora_down.weight')).map((k) => k.split('.')[0]));
  const unmapped = keys.filter((key) => {
    if (isKohya) {
      const m = /^([^.]+)\.(lora_down\.weight|lora_up\.weight|alpha|dora_scale)$/.exec(key);
      if (m?.[2] === 'alpha' && !loraDown.has(m[1])) return true;
      // diffusers renames lora_te1_ (kohya's SDXL-style first encoder) as it renames lora_te_
      return !m || !known.has((m[1] as string).replace(/^lora_te1_/, 'lora_te_'));
    }
    const parsed = parsePeftStyleKey(key);
    // load_lora_weights reads UNet keys only under `unet.` (save_attn_procs' bare keys: load_attn_procs).
    if (parsed?.style !== 'diffusers' || !/^(unet|text_encoder)\./.test(key)) return true;
    return !(parsed.component === 'unet' ? DIFFUSERS_UNET : DIFFUSERS_TE).has(parsed.path);
  });
  if (isKohya && unmapped.length > 0)
    notes.push(text('kohya file with keys diffusers cannot rename: load_lora_weights raises ValueError.'));
  const lost = isKohya ? diffusersLostTextEncoderModules(keys) : undefined;
  if (lost) {
    const lostModules = new Set(lost.modules);
    const listed = new Set(unmapped);
    unmapped.push(...keys.filter((k) => lostModules.has(k.split('.')[0] as string) && !listed.has(k)));
    notes.push({ kind: 'lost-text-encoder', lost });
  }
  if (isKohya && ldmModuleNames(keys).length > 0) notes.push({ kind: 'ldm-names' });
  if (isKohya && keys.some((k) => k.endsWith('.dora_scale'))) notes.push(text(DIFFUSERS_DORA_NOTE));
  if (lokr) notes.push({ kind: 'lokr' });
  else if (!isKohya && keys.some((k) => k.startsWith('base_model.model.'))) notes.push({ kind: 'peft-keys' });
  // (a kohya file with no key renamed already has its ValueError note)
  if (!isKohya && unmapped.length === keys.length)
    notes.push(text(loadsNothingNote('load_lora_weights', keys.length)));
  return strictVerdict('diffusers', keys, unmapped, notes);
}

/** inspect's note for PEFT adapter keys (`base_model.model.`), which load_lora_weights does not read. */
export const DIFFUSERS_PEFT_KEYS_NOTE =
  'PEFT adapter keys: load with PeftModel.from_pretrained, or convert --to diffusers / kohya for load_lora_weights.';

/** A kohya text-encoder attention projection diffusers renames to the old `to_q_lora` format. */
const KOHYA_TE_QKV = /^lora_te1?_text_model_encoder_layers_\d+_self_attn_[qkv]_proj$/;
const KOHYA_TE_OUT = /^lora_te1?_text_model_encoder_layers_\d+_self_attn_out_proj$/;
const KOHYA_TE_MLP = /^lora_te1?_text_model_encoder_layers_\d+_mlp_fc[12]$/;

/** Text-encoder modules of a kohya file diffusers loses ({@link diffusersLostTextEncoderModules}). */
export interface LostTextEncoderModules {
  /** kohya module names (`lora_te_text_model_encoder_layers_0_self_attn_q_proj`), in file order. */
  readonly modules: readonly string[];
  /** true: load_lora_weights raises ("Could not automatically infer state dict type"); false: drops them. */
  readonly raises: boolean;
}

/**
 * The kohya text-encoder modules diffusers 0.42.1 `load_lora_weights` loses. `_convert_text_encoder_lora_key`
 * renames q/k/v/out_proj keys to the old `to_q_lora.down` format and mlp keys to `lora_linear_layer`;
 * `convert_state_dict_to_diffusers` / `convert_state_dict_to_peft` (utils/state_dict_utils.py) then detect
 * the old format only by a `to_out_lora` key. With no out_proj module (a PEFT adapter trained with
 * target_modules q_proj + v_proj, converted to kohya), the q/k/v_proj keys are left unconverted: PEFT
 * loads nothing for them when mlp modules make the dict look new-format, and the load raises when there
 * are none. Measured: tiny SD1.5, q/v + mlp file, every self_attn weight unchanged after fuse_lora.
 * @returns undefined when every text-encoder module loads.
 */
export function diffusersLostTextEncoderModules(keys: readonly string[]): LostTextEncoderModules | undefined {
  const weights = keys.filter((k) => /\.lora_(down|up)\.weight$/.test(k));
  const modules = [...new Set(weights.map((k) => k.split('.')[0] as string))];
  if (modules.some((m) => KOHYA_TE_OUT.test(m))) return undefined;
  const qkv = modules.filter((m) => KOHYA_TE_QKV.test(m));
  if (qkv.length === 0) return undefined;
  return { modules: qkv, raises: !modules.some((m) => KOHYA_TE_MLP.test(m)) };
}

/** inspect's (and convert's) note for {@link diffusersLostTextEncoderModules}, naming the first three modules. */
export function diffusersLostTextEncoderNote(lost: LostTextEncoderModules): string {
  return `${diffusersLostTextEncoderFacts(lost)} convert --to diffusers writes a file diffusers loads whole (toonlora generate does so itself).`;
}

/** {@link diffusersLostTextEncoderNote} without its way out. */
export function diffusersLostTextEncoderFacts(lost: LostTextEncoderModules): string {
  const more = lost.modules.length > 3 ? ` and ${lost.modules.length - 3} more` : '';
  const effect = lost.raises
    ? 'load_lora_weights raises ValueError ("Could not automatically infer state dict type")'
    : 'load_lora_weights drops them without an error (the rest of the file loads)';
  return `text encoder: ${lost.modules.length} q/k/v_proj module(s) (${lost.modules.slice(0, 3).join(', ')}${more}) and no out_proj module, which diffusers 0.42 needs to read kohya text-encoder attention keys: ${effect}.`;
}

/**
 * diffusers' `load_lora_weights` filters every `dora_scale` key out of a kohya file (it logs that DoRA
 * checkpoints are not supported): the LoRA loads, but as plain LoRA. What its diffusers copy keeps depends
 * on the magnitude's axis, which keys do not show: inspect replaces this note by dora-loaders.ts' per-axis ones.
 */
export const DIFFUSERS_DORA_NOTE =
  'DoRA: load_lora_weights drops the dora_scale keys of a kohya file, so the LoRA loads without its DoRA magnitude (as plain LoRA).';

/** A kohya file named after the LDM UNet ({@link ldmModuleNames}): diffusers finds no such module. */
export const DIFFUSERS_LDM_NOTE =
  'module names of the original LDM UNet (lora_unet_input_blocks_…): convert --to diffusers / kohya writes them with diffusers names (toonlora generate does so itself).';

/**
 * inspect's diffusers note for a file storing 1x1-convolution modules (proj_in, proj_out, conv_shortcut)
 * as 2-D `[r, in]` / `[out, r]` weights (`flat`: their kohya names): diffusers creates Conv2d LoRA
 * layers there and raises a size mismatch (measured, tiny SD1.5); the WebUI and ComfyUI reshape them.
 */
export function diffusersConv1x1Note(flat: readonly string[]): string {
  return `${diffusersConv1x1Facts(flat)}; convert --to diffusers / kohya writes them as 1x1 convolutions (toonlora generate does so itself).`;
}

/** {@link diffusersConv1x1Note} without its way out. */
export function diffusersConv1x1Facts(flat: readonly string[]): string {
  const more = flat.length > 1 ? ` and ${flat.length - 1} more` : '';
  return `${flat.length} 1x1-convolution module(s) (proj_in / proj_out / conv_shortcut: ${flat[0]}${more}) stored as 2-D weights: load_lora_weights raises a size mismatch on them (the WebUI and ComfyUI reshape them)`;
}

/** diffusers 0.42.1 has LoKr conversions for Z-Image and Flux2 only; SD1.5's `load_lora_weights` raises on LoKr keys. */
export const DIFFUSERS_LOKR_NOTE =
  "LoKr: diffusers' SD1.5 load_lora_weights has no LoKr format and raises on lokr_* keys; the kohya / LyCORIS file loads in the WebUI, ComfyUI and toonlora generate (convert a PEFT LoKr folder --to kohya).";

/** Note for a diffusers file whose metadata names text-encoder targets with `text_model.` ({@link diffusersMissesTextModelTargets}). */
export const DIFFUSERS_TEXT_MODEL_TARGETS_NOTE =
  "lora_adapter_metadata names text-encoder target_modules with 'text_model.', which transformers 5's CLIPTextModel does not have: load_lora_weights refuses the file (\"Target modules ... not found\"). convert --to diffusers writes them without it (toonlora generate does so itself).";

/**
 * Whether a diffusers file's `lora_adapter_metadata` names a text-encoder target, rank or alpha pattern
 * with `text_model.`: diffusers 0.42 strips `text_model.` from the tensor keys when the CLIPTextModel has
 * no `text_model` attribute (transformers 5), not from the metadata, so PEFT finds no such module.
 * toonlora's own convert wrote these before the fix (lora-keys.ts `peftTargetPath`).
 */
export function diffusersMissesTextModelTargets(metadata: Readonly<Record<string, string>>): boolean {
  const raw = metadata.lora_adapter_metadata;
  if (raw === undefined) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const config = parsed as Record<string, unknown>;
  const names = (value: unknown): string[] =>
    typeof value === 'string'
      ? [value]
      : Array.isArray(value)
        ? value.filter((v): v is string => typeof v === 'string')
        : typeof value === 'object' && value !== null
          ? Object.keys(value)
          : [];
  return ['target_modules', 'rank_pattern', 'alpha_pattern'].some((field) =>
    names(config[`text_encoder.${field}`]).some((name) => name.startsWith('text_model.')),
  );
}

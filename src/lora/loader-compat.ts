// src/lora/loader-compat.ts — would AUTOMATIC1111, ComfyUI and diffusers map each key of a LoRA file
// onto SD1.5 (pure)? Ports of their name mapping, checked against the module lists of sd15-modules.ts:
// - AUTOMATIC1111 stable-diffusion-webui extensions-builtin/Lora/networks.py
//   `convert_diffusers_name_to_compvis` and the fallbacks in `load_network` (v1.6 - v1.10; SD1 path,
//   is_sd2 = False, no diffusers_weight_map);
// - ComfyUI comfy/lora.py `model_lora_keys_unet` / `model_lora_keys_clip` key maps and the suffixes
//   comfy/weight_adapter/lora.py `LoRAAdapter.load` accepts (read at commit 0323d874, 2025);
// - diffusers 0.42.1 loaders/lora_conversion_utils.py `_convert_non_diffusers_lora_to_diffusers`.
// Also which kohya alphas diffusers applies wrong (`diffusersMisreadAlphas`), and whether a file looks
// made for another base model than SD1.5 (`otherBaseModelHint`: metadata, cross-attention width).
import { a1111CompvisName, ldmModuleNames } from './compvis-names.js';
import { kohyaModuleName, parsePeftStyleKey } from './lora-keys.js';
import type { LoraModule } from './lora-model.js';
import {
  CLIP_LAYER_MODULES,
  knownKohyaNames,
  sd15CompvisUnetModules,
  sd15TextEncoderModules,
  sd15UnetModules,
} from './sd15-modules.js';

export { a1111CompvisName };

export type LoaderName = 'a1111' | 'comfyui' | 'diffusers';

export interface LoaderVerdict {
  readonly loader: LoaderName;
  readonly ok: boolean;
  readonly mappedKeys: number;
  readonly unmappedKeys: readonly string[];
  /** Whole-file problems (the loader refuses the file, or ignores it). */
  readonly notes: readonly string[];
}

let a1111Modules: Set<string> | undefined;
/** `network_layer_mapping` of an SD1 model in A1111: every module name with `.` as `_`. */
function a1111LayerNames(): Set<string> {
  a1111Modules ??= new Set([
    ...sd15CompvisUnetModules().map((m) => m.replaceAll('.', '_')),
    ...sd15TextEncoderModules().map((m) => `transformer_${m}`.replaceAll('.', '_')),
  ]);
  return a1111Modules;
}

/** LyCORIS LoKr parts (A1111 network_lokr.py `ModuleTypeLokr`, ComfyUI comfy/weight_adapter/lokr.py). */
const LOKR_PARTS = ['lokr_w1', 'lokr_w1_a', 'lokr_w1_b', 'lokr_w2', 'lokr_w2_a', 'lokr_w2_b', 'lokr_t2'];

/** LyCORIS LoHa parts (A1111 network_hada.py `ModuleTypeHada`, ComfyUI comfy/weight_adapter/loha.py). */
const LOHA_PARTS = ['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b', 'hada_t1', 'hada_t2'];

/** LyCORIS full-weight parts (A1111 network_full.py `ModuleTypeFull`, ComfyUI comfy/lora.py `load_lora`). */
const FULL_PARTS = ['diff', 'diff_b'];

/**
 * The network parts A1111's `network_lora.ModuleTypeLora`, `network_lokr.ModuleTypeLokr`,
 * `network_hada.ModuleTypeHada`, `network_full.ModuleTypeFull` (and `NetworkModule`) read.
 */
const A1111_PARTS = new Set([
  'lora_up.weight',
  'lora_down.weight',
  'lora_mid.weight',
  'alpha',
  'dora_scale',
  ...LOKR_PARTS,
  ...LOHA_PARTS,
  ...FULL_PARTS,
]);

/**
 * A1111 finds a module type for these parts: a lora_up + lora_down pair, LoKr's w1 and w2 factors,
 * LoHa's four hada_w* factors, or a full diff.
 */
function a1111HasModuleType(parts: ReadonlySet<string>): boolean {
  if (parts.has('lora_up.weight') && parts.has('lora_down.weight')) return true;
  if (['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b'].every((p) => parts.has(p))) return true;
  if (parts.has('diff')) return true;
  const has = (n: 1 | 2) => parts.has(`lokr_w${n}`) || (parts.has(`lokr_w${n}_a`) && parts.has(`lokr_w${n}_b`));
  return has(1) && has(2);
}

function a1111Resolve(moduleKey: string): string | undefined {
  const names = a1111LayerNames();
  let key = a1111CompvisName(moduleKey);
  if (names.has(key)) return key;
  const xProj = /(.*)_([qkv]_proj)$/.exec(key);
  if (xProj && names.has(xProj[1] as string)) return xProj[1];
  if (moduleKey.includes('lora_unet')) {
    key = moduleKey.replace('lora_unet', 'diffusion_model');
    if (names.has(key)) return key;
  } else if (moduleKey.includes('lora_te1_text_model')) {
    for (const replacement of ['0_transformer_text_model', 'transformer_text_model']) {
      key = moduleKey.replace('lora_te1_text_model', replacement);
      if (names.has(key)) return key;
    }
  }
  return undefined;
}

/** A1111 `load_network`: module key = text before the first `.`; every matched module needs lora_up + lora_down. */
export function checkA1111(keys: readonly string[]): LoaderVerdict {
  const unmapped: string[] = [];
  const modules = new Map<string, Set<string>>();
  for (const key of keys) {
    const dot = key.indexOf('.');
    const moduleKey = dot < 0 ? key : key.slice(0, dot);
    const part = dot < 0 ? '' : key.slice(dot + 1);
    const target = a1111Resolve(moduleKey);
    if (!target || !A1111_PARTS.has(part)) {
      unmapped.push(key);
      continue;
    }
    if (!modules.has(target)) modules.set(target, new Set());
    modules.get(target)?.add(part);
  }
  const notes: string[] = [];
  for (const [target, parts] of modules) {
    if (!a1111HasModuleType(parts)) {
      notes.push(
        `${target}: no lora_up + lora_down pair (nor LoKr lokr_w1 + lokr_w2, LoHa hada_w1/w2, full diff): A1111 refuses the whole file ("Could not find a module type").`,
      );
    }
  }
  if (modules.size === 0) notes.push('no key maps to an SD1.5 module: A1111 loads nothing.');
  return {
    loader: 'a1111',
    ok: unmapped.length === 0 && notes.length === 0,
    mappedKeys: keys.length - unmapped.length,
    unmappedKeys: unmapped,
    notes,
  };
}

/** Clip key names in ComfyUI's LORA_CLIP_MAP (`mlp.fc1` -> `mlp_fc1`, ...). */
const COMFY_CLIP = CLIP_LAYER_MODULES.map((c) => [c, c.replaceAll('.', '_')] as const);

let comfyKeyMap: Set<string> | undefined;
/** Module names ComfyUI's key map holds for an SD1.5 model (UNet + CLIP-L). */
export function comfyModuleNames(): Set<string> {
  if (comfyKeyMap) return comfyKeyMap;
  const names = new Set<string>();
  for (const full of sd15CompvisUnetModules()) {
    names.add(`lora_unet_${full.slice('diffusion_model.'.length).replaceAll('.', '_')}`);
    names.add(full);
  }
  for (const path of sd15UnetModules()) {
    const flat = path.replaceAll('.', '_');
    names.add(`lora_unet_${flat}`);
    names.add(`lycoris_${flat}`);
    let diffusersKey = path.replaceAll('.to_', '.processor.to_');
    if (diffusersKey.endsWith('.to_out.0')) diffusersKey = diffusersKey.slice(0, -2);
    names.add(diffusersKey);
    names.add(`unet.${diffusersKey}`);
  }
  for (let b = 0; b < 12; b++) {
    for (const [dotted, flat] of COMFY_CLIP) {
      names.add(`lora_te_text_model_encoder_layers_${b}_${flat}`);
      names.add(`lora_te1_text_model_encoder_layers_${b}_${flat}`);
      names.add(`text_encoder.text_model.encoder.layers.${b}.${dotted}`);
    }
  }
  comfyKeyMap = names;
  return names;
}

/** Suffixes `LoRAAdapter.load` looks up after a key-map name, plus `.alpha` / `.dora_scale` from comfy/lora.py. */
const COMFY_SUFFIXES = [
  '.lora_up.weight',
  '.lora_down.weight',
  '.lora_mid.weight',
  '_lora.up.weight',
  '_lora.down.weight',
  '.lora_B.weight',
  '.lora_A.weight',
  '.lora.up.weight',
  '.lora.down.weight',
  '.lora_linear_layer.up.weight',
  '.lora_linear_layer.down.weight',
  '.alpha',
  '.dora_scale',
  ...LOKR_PARTS.map((p) => `.${p}`),
  ...LOHA_PARTS.map((p) => `.${p}`),
  ...FULL_PARTS.map((p) => `.${p}`),
];

/** ComfyUI `load_lora`: a key loads when it is `<key-map name><suffix>`; others log "lora key not loaded". */
export function checkComfyUi(keys: readonly string[]): LoaderVerdict {
  const names = comfyModuleNames();
  const unmapped = keys.filter(
    (key) => !COMFY_SUFFIXES.some((s) => key.endsWith(s) && names.has(key.slice(0, -s.length))),
  );
  return {
    loader: 'comfyui',
    ok: unmapped.length === 0,
    mappedKeys: keys.length - unmapped.length,
    unmappedKeys: unmapped,
    notes: [],
  };
}

const DIFFUSERS_UNET = new Set(sd15UnetModules());
const DIFFUSERS_TE = new Set(sd15TextEncoderModules());

/**
 * diffusers `load_lora_weights` on an SD1.5 pipeline. kohya files (every key `lora_unet_` /
 * `lora_te_`) go through `_convert_non_diffusers_lora_to_diffusers`, which raises on any key it
 * did not rename; other files must be `unet.` / `text_encoder.` PEFT-style keys.
 */
export function checkDiffusers(keys: readonly string[]): LoaderVerdict {
  const notes: string[] = [];
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
    notes.push('kohya file with keys diffusers cannot rename: load_lora_weights raises ValueError.');
  const lost = isKohya ? diffusersLostTextEncoderModules(keys) : undefined;
  if (lost) {
    const lostModules = new Set(lost.modules);
    const listed = new Set(unmapped);
    unmapped.push(...keys.filter((k) => lostModules.has(k.split('.')[0] as string) && !listed.has(k)));
    notes.push(diffusersLostTextEncoderNote(lost));
  }
  if (isKohya && ldmModuleNames(keys).length > 0) notes.push(DIFFUSERS_LDM_NOTE);
  if (isKohya && keys.some((k) => k.endsWith('.dora_scale')))
    notes.push(DIFFUSERS_DORA_NOTE);
  if (lokr) notes.push(DIFFUSERS_LOKR_NOTE);
  else if (!isKohya && keys.some((k) => k.startsWith('base_model.model.'))) {
    notes.push(
      'PEFT adapter keys: load with PeftModel.from_pretrained, or convert --to diffusers / kohya for load_lora_weights.',
    );
  }
  return {
    loader: 'diffusers',
    ok: unmapped.length === 0 && notes.length === 0,
    mappedKeys: keys.length - unmapped.length,
    unmappedKeys: unmapped,
    notes,
  };
}

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
  const more = lost.modules.length > 3 ? ` and ${lost.modules.length - 3} more` : '';
  const effect = lost.raises
    ? 'load_lora_weights raises ValueError ("Could not automatically infer state dict type")'
    : 'load_lora_weights drops them without an error (the rest of the file loads)';
  return `text encoder: ${lost.modules.length} q/k/v_proj module(s) (${lost.modules.slice(0, 3).join(', ')}${more}) and no out_proj module, which diffusers 0.42 needs to read kohya text-encoder attention keys: ${effect}. convert --to diffusers writes a file diffusers loads whole (toonlora generate does so itself).`;
}

/**
 * diffusers' `_convert_non_diffusers_lora_to_diffusers` filters every `dora_scale` key out of a
 * kohya file (it logs that DoRA checkpoints are not supported): the LoRA loads, but as plain LoRA.
 */
export const DIFFUSERS_DORA_NOTE =
  'DoRA: load_lora_weights drops the dora_scale keys of a kohya file, so the LoRA loads without its DoRA magnitude (a different result than in ComfyUI); its convert --to diffusers copy keeps it (what toonlora generate loads).';

/** A kohya file named after the LDM UNet ({@link ldmModuleNames}): diffusers finds no such module. */
export const DIFFUSERS_LDM_NOTE =
  'module names of the original LDM UNet (lora_unet_input_blocks_…): convert --to diffusers / kohya writes them with diffusers names (toonlora generate does so itself).';

/**
 * inspect's diffusers note for a file storing 1x1-convolution modules (proj_in, proj_out, conv_shortcut)
 * as 2-D `[r, in]` / `[out, r]` weights (`flat`: their kohya names): diffusers creates Conv2d LoRA
 * layers there and raises a size mismatch (measured, tiny SD1.5); the WebUI and ComfyUI reshape them.
 */
export function diffusersConv1x1Note(flat: readonly string[]): string {
  const more = flat.length > 1 ? ` and ${flat.length - 1} more` : '';
  return `${flat.length} 1x1-convolution module(s) (proj_in / proj_out / conv_shortcut: ${flat[0]}${more}) stored as 2-D weights: load_lora_weights raises a size mismatch on them (the WebUI and ComfyUI reshape them); convert --to diffusers / kohya writes them as 1x1 convolutions (toonlora generate does so itself).`;
}

/** diffusers 0.42.1 has LoKr conversions for Z-Image and Flux2 only; SD1.5's `load_lora_weights` raises on LoKr keys. */
export const DIFFUSERS_LOKR_NOTE =
  "LoKr: diffusers' SD1.5 load_lora_weights has no LoKr format and raises on lokr_* keys; the kohya / LyCORIS file loads in the WebUI, ComfyUI and toonlora generate (convert a PEFT LoKr folder --to kohya).";

/** Note shown when diffusers would apply some of a kohya file's alphas wrong ({@link diffusersMisreadsAlphas}). */
export const DIFFUSERS_KOHYA_ALPHA_NOTE =
  "modules have different alphas, and diffusers 0.42 load_lora_weights applies some at the wrong strength: UNet attention modules (attn1 / attn2) and every text-encoder module get their component's most common alpha (its alpha_pattern keys for them match no module; measured), and so does a module with no .alpha. UNet resnet / conv, proj_in / proj_out and ff alphas are applied as they are. Use convert --to diffusers for diffusers.";

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

/** What {@link diffusersMisreadAlphas} needs of a module. */
export type AlphaModule = Pick<LoraModule, 'component' | 'path' | 'rank' | 'alpha' | 'alphaSource'>;

/** A module diffusers applies at another alpha than its own. */
export interface MisreadAlpha {
  /** kohya module name, e.g. `lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q`. */
  readonly module: string;
  readonly alpha: number;
  /** The alpha diffusers uses for it: its component's most common one. */
  readonly applied: number;
}

/**
 * The modules of a kohya file that diffusers 0.42.1 `load_lora_weights` applies at another alpha than
 * their own. `_convert_non_diffusers_lora_to_diffusers` keeps each `.alpha` as `network_alphas`; per
 * component (UNet, text encoder), utils/peft_utils.py `get_peft_kwargs` makes the most common alpha
 * `lora_alpha` (a tie: the first module's in key order, as safetensors lists them) and the others
 * `alpha_pattern` entries. Those entries match a module only for UNet modules outside attention: a UNet
 * attention key keeps `attn1.processor.to_q_lora.down.weight` in its name (`_convert_unet_lora_key`),
 * and a text-encoder key becomes `text_model.encoder.layers.N.self_attn` / `text_model.…mlp.fc1`, which
 * names no module (self_attn is not a projection; transformers 5 has no `text_model`). A module without
 * `.alpha` (`missingAlphas`: alphaSource 'assumed-rank', a file as it is read) has no entry and gets the
 * most common alpha too; a component with no `.alpha` at all gets alpha = rank, which is right.
 * Measured on the tiny base with fuse_lora: resnet / conv 3x3, proj_in / proj_out and ff alphas exact;
 * attn1 / attn2, text-encoder self_attn and mlp alphas off; a text encoder whose one alpha differs
 * from the UNet's exact.
 */
export function diffusersMisreadAlphas(
  modules: readonly AlphaModule[],
  missingAlphas = false,
): MisreadAlpha[] {
  const misread: MisreadAlpha[] = [];
  for (const component of ['unet', 'text_encoder'] as const) {
    const named = modules
      .filter((m) => m.component === component)
      .map((m) => ({ m, name: kohyaModuleName(m.component, m.path) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const stored = (m: AlphaModule) => !missingAlphas || m.alphaSource !== 'assumed-rank';
    const applied = mostCommon(named.filter(({ m }) => stored(m)).map(({ m }) => m.alpha));
    if (applied === undefined) continue;
    for (const { m, name } of named) {
      if (m.alpha === applied) continue;
      const patternMatches = stored(m) && component === 'unet' && !UNET_ATTENTION.test(m.path);
      if (!patternMatches) misread.push({ module: name, alpha: m.alpha, applied });
    }
  }
  return misread;
}

/** A UNet module diffusers renames to `…attn1.processor.to_q_lora` (`_convert_unet_lora_key`). */
const UNET_ATTENTION = /(^|\.)transformer_blocks\.\d+\.attn[12]\./;

/** Python's `Counter(values).most_common()[0][0]`: the most frequent value, ties to the one seen first. */
function mostCommon(values: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Whether diffusers would load this file with some module at the wrong strength ({@link
 * diffusersMisreadAlphas}; inspect.ts notes it, convert.ts warns, diffusers-copy.ts avoids it). Only a
 * kohya file: diffusers-format files carry alpha_pattern in their metadata, which diffusers applies.
 * `missingAlphas`: the modules are the file as read, so 'assumed-rank' ones have no `.alpha`; left
 * false for a file convert writes (it writes an `.alpha` for every module).
 */
export function diffusersMisreadsAlphas(
  format: string,
  modules: readonly AlphaModule[],
  missingAlphas = false,
): boolean {
  return format === 'kohya' && diffusersMisreadAlphas(modules, missingAlphas).length > 0;
}

/** SD1.5's text-embedding width (CLIP ViT-L/14): what its UNet cross-attention to_k / to_v read. */
const SD15_TEXT_WIDTH = 768;

/** Base models told by their cross-attention text width (other widths, e.g. the tiny test base's 32, are not told). */
const TEXT_WIDTH_BASES: Readonly<Record<number, string>> = { 1024: 'SD 2.x', 2048: 'SDXL' };

/**
 * Why a LoRA looks made for another base model than SD1.5, or undefined: its kohya / modelspec metadata
 * (`ss_v2` True, `ss_base_model_version` sd_2… / sdxl…, `modelspec.architecture` stable-diffusion-v2… /
 * -xl…), or a UNet cross-attention (attn2) to_k / to_v module whose lora_down reads text embeddings of
 * another base's width (SD 2.x: 1024, SDXL: 2048; SD1.5's are 768). Such a file has SD1.5's module names, so every loader
 * maps its keys; diffusers then stops at a size mismatch (toonlora generate says so).
 */
export function otherBaseModelHint(
  metadata: Readonly<Record<string, string>>,
  modules: readonly {
    readonly component: string;
    readonly path: string;
    readonly down: { readonly shape: readonly number[] };
  }[],
): string | undefined {
  const evidence: string[] = [];
  const bases = new Set<string>();
  const version = metadata.ss_base_model_version?.trim() ?? '';
  const architecture = metadata['modelspec.architecture']?.trim() ?? '';
  if (metadata.ss_v2?.trim().toLowerCase() === 'true') {
    evidence.push('ss_v2 = True');
    bases.add('SD 2.x');
  }
  if (/^sd_?v?2/i.test(version) || /^sdxl/i.test(version)) {
    evidence.push(`ss_base_model_version ${version}`);
    bases.add(/^sdxl/i.test(version) ? 'SDXL' : 'SD 2.x');
  }
  if (/^stable-diffusion-(v2|xl)/i.test(architecture)) {
    evidence.push(`modelspec.architecture ${architecture}`);
    bases.add(/^stable-diffusion-xl/i.test(architecture) ? 'SDXL' : 'SD 2.x');
  }
  const wide = modules.find(
    (m) =>
      m.component === 'unet' &&
      /\.attn2\.to_[kv]$/.test(m.path) &&
      m.down.shape.length === 2 &&
      TEXT_WIDTH_BASES[m.down.shape[1] as number] !== undefined,
  );
  if (wide) {
    const width = wide.down.shape[1] as number;
    evidence.push(`${wide.path} reads ${width}-wide text embeddings (SD1.5's are ${SD15_TEXT_WIDTH})`);
    bases.add(TEXT_WIDTH_BASES[width] as string);
  }
  if (evidence.length === 0) return undefined;
  const base = [...bases].join(' or ');
  return `this LoRA looks made for ${base}, not SD1.5 (${evidence.join('; ')}): on an SD1.5 base its weights do not fit (diffusers and toonlora generate stop at a size mismatch). Use it with the base it was trained for.`;
}

/** All three verdicts for a file's tensor keys. */
export function checkLoaderCompatibility(keys: readonly string[]): LoaderVerdict[] {
  return [checkA1111(keys), checkComfyUi(keys), checkDiffusers(keys)];
}

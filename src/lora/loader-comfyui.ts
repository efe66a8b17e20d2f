// src/lora/loader-comfyui.ts — would ComfyUI map each key of a LoRA file onto SD1.5 (pure)? A port of
// comfy/lora.py `model_lora_keys_unet` / `model_lora_keys_clip` key maps and the suffixes
// comfy/weight_adapter/lora.py `LoRAAdapter.load` accepts (read at commit 0323d874, 2025), checked
// against the module lists of sd15-modules.ts.
import {
  FULL_PARTS,
  LOHA_PARTS,
  LOKR_PARTS,
  type LoaderVerdict,
  loadsNothingNote,
} from './loader-verdict.js';
import { CLIP_LAYER_MODULES, sd15CompvisUnetModules, sd15UnetModules } from './sd15-modules.js';

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

/** Suffixes that hold no weights: a module with only these loads nothing. */
const COMFY_NON_WEIGHT_SUFFIXES = ['.alpha', '.dora_scale'];

/**
 * ComfyUI `load_lora`: a key loads when it is `<key-map name><suffix>`; others log "lora key not
 * loaded". A file where no weight key maps (no tensors, or only alphas) loads nothing: not ok.
 */
export function checkComfyUi(keys: readonly string[]): LoaderVerdict {
  const names = comfyModuleNames();
  const unmapped = keys.filter(
    (key) => !COMFY_SUFFIXES.some((s) => key.endsWith(s) && names.has(key.slice(0, -s.length))),
  );
  const unmappedSet = new Set(unmapped);
  const mappedWeights = keys.filter(
    (key) => !unmappedSet.has(key) && !COMFY_NON_WEIGHT_SUFFIXES.some((s) => key.endsWith(s)),
  );
  const notes = mappedWeights.length === 0 ? [loadsNothingNote('ComfyUI', keys.length)] : [];
  return {
    loader: 'comfyui',
    ok: unmapped.length === 0 && notes.length === 0,
    mappedKeys: keys.length - unmapped.length,
    unmappedKeys: unmapped,
    notes,
  };
}

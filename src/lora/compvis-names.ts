// src/lora/compvis-names.ts — kohya UNet module names in the original (CompVis / LDM) SD1.5 layout
// (pure): AUTOMATIC1111's `convert_diffusers_name_to_compvis` (extensions-builtin/Lora/networks.py,
// v1.6 - v1.10, SD1 path), and its inverse over SD1.5's modules, which reads kohya files named after
// the LDM UNet (`lora_unet_input_blocks_1_1_proj_in`, as A1111 and ComfyUI load them) as diffusers paths.
import { sd15UnetModules } from './sd15-modules.js';

const A1111_SUFFIX: Record<string, Record<string, string>> = {
  attentions: {},
  resnets: {
    conv1: 'in_layers_2',
    conv2: 'out_layers_3',
    norm1: 'in_layers_0',
    norm2: 'out_layers_0',
    time_emb_proj: 'emb_layers_1',
    conv_shortcut: 'skip_connection',
  },
};

const suffix = (kind: string | undefined, name: string | undefined): string =>
  A1111_SUFFIX[kind as string]?.[name as string] ?? (name as string);
const n = (s: string | undefined): number => Number(s);

/** The rules of `convert_diffusers_name_to_compvis`, in its order: first match wins. */
const A1111_RULES: ReadonlyArray<readonly [RegExp, (m: RegExpExecArray) => string]> = [
  [/^lora_unet_conv_in(.*)/, (m) => `diffusion_model_input_blocks_0_0${m[1]}`],
  [/^lora_unet_conv_out(.*)/, (m) => `diffusion_model_out_2${m[1]}`],
  [
    /^lora_unet_time_embedding_linear_(\d+)(.*)/,
    (m) => `diffusion_model_time_embed_${n(m[1]) * 2 - 2}${m[2]}`,
  ],
  [
    /^lora_unet_down_blocks_(\d+)_(attentions|resnets)_(\d+)_(.+)/,
    (m) =>
      `diffusion_model_input_blocks_${1 + n(m[1]) * 3 + n(m[3])}_${m[2] === 'attentions' ? 1 : 0}_${suffix(m[2], m[4])}`,
  ],
  [
    /^lora_unet_mid_block_(attentions|resnets)_(\d+)_(.+)/,
    (m) => `diffusion_model_middle_block_${m[1] === 'attentions' ? 1 : n(m[2]) * 2}_${suffix(m[1], m[3])}`,
  ],
  [
    /^lora_unet_up_blocks_(\d+)_(attentions|resnets)_(\d+)_(.+)/,
    (m) =>
      `diffusion_model_output_blocks_${n(m[1]) * 3 + n(m[3])}_${m[2] === 'attentions' ? 1 : 0}_${suffix(m[2], m[4])}`,
  ],
  [
    /^lora_unet_down_blocks_(\d+)_downsamplers_0_conv/,
    (m) => `diffusion_model_input_blocks_${3 + n(m[1]) * 3}_0_op`,
  ],
  [
    /^lora_unet_up_blocks_(\d+)_upsamplers_0_conv/,
    (m) => `diffusion_model_output_blocks_${2 + n(m[1]) * 3}_${n(m[1]) > 0 ? 2 : 1}_conv`,
  ],
  [
    /^lora_te_text_model_encoder_layers_(\d+)_(.+)/,
    (m) => `transformer_text_model_encoder_layers_${m[1]}_${m[2]}`,
  ],
];

/** AUTOMATIC1111 `convert_diffusers_name_to_compvis(key, is_sd2=False)`, ported rule by rule. */
export function a1111CompvisName(key: string): string {
  for (const [regex, build] of A1111_RULES) {
    const m = regex.exec(key);
    if (m) return build(m);
  }
  return key;
}

let compvisToDiffusers: Map<string, string> | undefined;

/**
 * The diffusers UNet path of an LDM-named kohya module (`input_blocks_1_1_proj_in`, the name after
 * `lora_unet_`), or undefined when it names no SD1.5 module: the inverse of {@link a1111CompvisName}
 * over every SD1.5 UNet module. A1111 resolves such a name as `diffusion_model_<name>` (`load_network`:
 * `key_network.replace("lora_unet", "diffusion_model")`).
 */
export function diffusersPathOfLdmName(flat: string): string | undefined {
  if (!compvisToDiffusers) {
    compvisToDiffusers = new Map();
    for (const path of sd15UnetModules()) {
      const compvis = a1111CompvisName(`lora_unet_${path.replaceAll('.', '_')}`);
      compvisToDiffusers.set(compvis.slice('diffusion_model_'.length), path);
    }
  }
  return compvisToDiffusers.get(flat);
}

/** The LDM-named kohya UNet modules among `keys` (`lora_unet_input_blocks_1_1_proj_in`, ...), once each. */
export function ldmModuleNames(keys: readonly string[]): string[] {
  const names = new Set<string>();
  for (const key of keys) {
    const m = /^lora_unet_([^.]+)\./.exec(key);
    if (m && diffusersPathOfLdmName(m[1] as string) !== undefined) names.add(`lora_unet_${m[1]}`);
  }
  return [...names];
}

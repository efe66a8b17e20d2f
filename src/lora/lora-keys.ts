// src/lora/lora-keys.ts — tensor-key grammar of the three LoRA formats (pure): PEFT
// (`base_model.model.<path>.lora_A.weight`), diffusers (`unet.<path>.lora_A.weight`, what
// diffusers 0.42 `save_lora_weights` writes; also the older `<attn>.processor.to_q_lora.down.weight`,
// `unet.<path>.lora.down.weight` and `text_encoder.<path>.lora_linear_layer.down.weight`) and kohya / WebUI (`lora_unet_<path_>.lora_down.weight`
// + `.alpha`); format detection; kohya <-> diffusers module names.
import { diffusersPathOfLdmName } from './compvis-names.js';
import { KOHYA_PREFIX, knownKohyaNames, type LoraComponent } from './sd15-modules.js';

export type LoraFormat = 'kohya' | 'peft' | 'diffusers' | 'unknown';
/** down = PEFT lora_A / kohya lora_down; up = lora_B / lora_up; magnitude = DoRA lora_magnitude_vector / dora_scale. */
export type LoraPart = 'down' | 'up' | 'alpha' | 'magnitude';

export interface ParsedKey {
  readonly component: LoraComponent;
  /** diffusers / transformers module path, e.g. `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`. */
  readonly path: string;
  readonly part: LoraPart;
}

const PEFT_PREFIX = 'base_model.model.';
const PEFT_AB = /^(.+)\.lora_(A|B)(?:\.[^.]+)?\.weight$/;
// PEFT saves the DoRA magnitude without `.weight` (peft/tuners/lora/model.py `_get_adapter_state_dict`).
const PEFT_MAGNITUDE = /^(.+)\.lora_magnitude_vector(?:\.[^.]+)?(?:\.weight)?$/;
const KOHYA_KEY =
  /^(lora_unet_|lora_te_|lora_te1_)([^.]+)\.(lora_down\.weight|lora_up\.weight|alpha|dora_scale)$/;

/**
 * diffusers' attention-processor LoRA keys (`save_attn_procs`, train_text_to_image_lora.py in diffusers
 * <= 0.20): `<attention>.processor.to_q_lora.down.weight`, `to_out_lora` for `to_out.0`. diffusers 0.42
 * `load_lora_weights` still reads them (renamed to `<attention>.to_q.lora_A.weight`), alpha = rank.
 */
const ATTN_PROCESSOR = /^(.+)\.processor\.(to_q|to_k|to_v|to_out)_lora\.(down|up)\.weight$/;

/**
 * The text-encoder half of those files (diffusers 0.17 - 0.24 `save_lora_weights` with a text-encoder
 * LoRA): `text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_linear_layer.down.weight`.
 * diffusers 0.42 still reads them (utils/state_dict_utils.py DIFFUSERS_TO_PEFT: `.lora_linear_layer.down`
 * -> `.lora_A`), alpha = rank; read only under the `text_encoder.` prefix, where diffusers reads them.
 */
const TE_LINEAR_LAYER = /^(.+)\.lora_linear_layer\.(down|up)\.weight$/;

/**
 * The UNet half of diffusers 0.21 - 0.24 `save_lora_weights` files (LoRACompatibleLinear /
 * LoRACompatibleConv, whose LoRA sat in a `lora` child): `unet.<module>.to_q.lora.down.weight`.
 * diffusers 0.42 still reads them: loaders/peft.py `load_lora_adapter` runs
 * utils/state_dict_utils.py `convert_unet_state_dict_to_peft` (UNET_TO_DIFFUSERS `.lora.down` ->
 * `.lora_A`, `.lora.up` -> `.lora_B`) when the first key has no `lora_A`; alpha = rank. Read only
 * under the `unet.` prefix, where diffusers reads them.
 */
const UNET_COMPAT_LAYER = /^(.+)\.lora\.(down|up)\.weight$/;

/** The module and part of an old diffusers layer key (`lora_linear_layer` for the text encoder, `lora` for the UNet). */
function splitOldLayerKey(component: LoraComponent | undefined, rest: string) {
  const layer =
    component === 'text_encoder'
      ? TE_LINEAR_LAYER.exec(rest)
      : component === 'unet'
        ? UNET_COMPAT_LAYER.exec(rest)
        : null;
  if (!layer) return undefined;
  return { path: layer[1] as string, part: layer[2] === 'down' ? ('down' as const) : ('up' as const) };
}

function splitPeftSuffix(rest: string): { path: string; part: LoraPart } | undefined {
  const proc = ATTN_PROCESSOR.exec(rest);
  if (proc) {
    const projection = proc[2] === 'to_out' ? 'to_out.0' : (proc[2] as string);
    return { path: `${proc[1]}.${projection}`, part: proc[3] === 'down' ? 'down' : 'up' };
  }
  const ab = PEFT_AB.exec(rest);
  if (ab) return { path: ab[1] as string, part: ab[2] === 'A' ? 'down' : 'up' };
  const mag = PEFT_MAGNITUDE.exec(rest);
  if (mag) return { path: mag[1] as string, part: 'magnitude' };
  return undefined;
}

/**
 * A CLIP text-encoder module path in toonlora's one internal form, with Hugging Face's `text_model.`
 * prefix (`text_model.encoder.layers.0.self_attn.q_proj`): transformers 4's CLIPTextModel names its
 * modules so, transformers 5's has no `text_model` level, and files carry either (diffusers 0.42
 * `save_lora_weights` under transformers 5 writes `text_encoder.encoder.layers.0…`). kohya names
 * (`lora_te_text_model_…`) and every output format are built from this form.
 */
export function textEncoderPath(path: string): string {
  return path.startsWith('text_model.') ? path : `text_model.${path}`;
}

/**
 * A module path as PEFT `target_modules` / `rank_pattern` / `alpha_pattern` should name it: text-encoder
 * paths without `text_model.`. PEFT matches these by suffix (`key == t or key.endswith("." + t)`,
 * peft tuners_utils `check_target_module_exists`; patterns `(.*\.)?key$`), so `encoder.layers.0…` matches
 * transformers 4's `text_model.encoder.layers.0…` and transformers 5's `encoder.layers.0…` alike; a
 * `text_model.` target matches no transformers 5 module (diffusers strips `text_model.` from the
 * tensor keys there, not from the metadata's targets).
 */
export function peftTargetPath(component: LoraComponent, path: string): string {
  return component === 'text_encoder' ? path.replace(/^text_model\./, '') : path;
}

/** Whether a bare PEFT path (no component prefix) is a CLIP text-encoder module: SD1.5's UNet has no `text_model` / `encoder`. */
function isTextEncoderPath(path: string): boolean {
  return path.startsWith('text_model.') || path.startsWith('encoder.layers.');
}

/**
 * Parses a PEFT or diffusers key. `unet.` / `text_encoder.` prefixes name the component; a bare
 * `base_model.model.` key belongs to the text encoder when its path starts `text_model.` or
 * `encoder.layers.`. Text-encoder paths come back in the internal form ({@link textEncoderPath}).
 */
export function parsePeftStyleKey(key: string): (ParsedKey & { style: 'peft' | 'diffusers' }) | undefined {
  let rest = key;
  let component: LoraComponent | undefined;
  let style: 'peft' | 'diffusers' = 'peft';
  if (rest.startsWith('unet.')) {
    component = 'unet';
    style = 'diffusers';
    rest = rest.slice('unet.'.length);
  } else if (rest.startsWith('text_encoder.')) {
    component = 'text_encoder';
    style = 'diffusers';
    rest = rest.slice('text_encoder.'.length);
  }
  if (rest.startsWith(PEFT_PREFIX)) rest = rest.slice(PEFT_PREFIX.length);
  else if (style === 'peft' && !ATTN_PROCESSOR.test(rest)) return undefined;
  // `save_attn_procs` wrote the UNet's processor keys without a `unet.` prefix.
  else if (style === 'peft') style = 'diffusers';
  const split = splitOldLayerKey(component, rest) ?? splitPeftSuffix(rest);
  if (!split) return undefined;
  component ??= isTextEncoderPath(split.path) ? 'text_encoder' : 'unet';
  const path = component === 'text_encoder' ? textEncoderPath(split.path) : split.path;
  return { component, path, part: split.part, style };
}

/** Tokens that hold an underscore inside one path segment, for kohya names outside the SD1.5 table. */
const UNDERSCORE_TOKENS = [
  'down_blocks',
  'up_blocks',
  'mid_block',
  'transformer_blocks',
  'time_emb_proj',
  'time_embedding',
  'conv_shortcut',
  'conv_in',
  'conv_out',
  'proj_in',
  'proj_out',
  'to_q',
  'to_k',
  'to_v',
  'to_out',
  'linear_1',
  'linear_2',
  'text_model',
  'self_attn',
  'q_proj',
  'k_proj',
  'v_proj',
  'out_proj',
];

/** kohya flat name -> dotted path for modules the SD1.5 table does not know (best effort). */
function guessDottedPath(flat: string): string {
  let dotted = flat.replaceAll('_', '.');
  for (const token of UNDERSCORE_TOKENS) dotted = dotted.replaceAll(token.replaceAll('_', '.'), token);
  return dotted;
}

/**
 * A kohya module name (`lora_unet_<path_>`, `lora_te_` / `lora_te1_<path_>`) as component and
 * diffusers path; `known` says whether it is an SD1.5 module (exact name table, or an LDM-style UNet
 * name such as `lora_unet_input_blocks_1_1_proj_in`, mapped as A1111 does). Shared by the LoRA
 * and LoKr (lokr.ts) key grammars.
 */
export function parseKohyaModuleName(
  prefix: string,
  flat: string,
): { component: LoraComponent; path: string; kohyaName: string; known: boolean } {
  const canonical = prefix === 'lora_unet_' ? 'lora_unet_' : 'lora_te_';
  const kohyaName = `${canonical}${flat}`;
  const component: LoraComponent = canonical === 'lora_unet_' ? 'unet' : 'text_encoder';
  const known = knownKohyaNames().get(kohyaName)?.path;
  // An LDM-named module (`input_blocks_1_1_proj_in`) is the diffusers module A1111 maps it onto: a
  // guessed dotted path (`input.blocks.1.1.proj_in`) would be a module no loader has.
  const ldm = known || component !== 'unet' ? undefined : diffusersPathOfLdmName(flat);
  const path = known ?? ldm;
  return { component, path: path ?? guessDottedPath(flat), kohyaName, known: path !== undefined };
}

/** Parses a kohya key; `known` says whether the module is an SD1.5 module (exact name table). */
export function parseKohyaKey(key: string): (ParsedKey & { kohyaName: string; known: boolean }) | undefined {
  const m = KOHYA_KEY.exec(key);
  if (!m) return undefined;
  const suffix = m[3] as string;
  const part: LoraPart =
    suffix === 'lora_down.weight'
      ? 'down'
      : suffix === 'lora_up.weight'
        ? 'up'
        : suffix === 'alpha'
          ? 'alpha'
          : 'magnitude';
  const { component, path, kohyaName, known } = parseKohyaModuleName(m[1] as string, m[2] as string);
  return { component, path, part, kohyaName, known };
}

/**
 * A module's component and path when the adapter's component may be forced (a PEFT folder's
 * `text_encoder/` adapter, whose keys carry no component prefix): its text-encoder paths get Hugging
 * Face's `text_model.` prefix when they lack it. LoRA and LoKr group their tensors by this.
 */
export function modulePlace(
  parsed: { readonly component: LoraComponent; readonly path: string },
  forced: LoraComponent | undefined,
): { component: LoraComponent; path: string } {
  const component = forced ?? parsed.component;
  const path = component === 'text_encoder' ? textEncoderPath(parsed.path) : parsed.path;
  return { component, path };
}

/** kohya module name for a diffusers path: `lora_unet_` + path with `.` as `_`. */
export function kohyaModuleName(component: LoraComponent, path: string): string {
  return KOHYA_PREFIX[component] + path.replaceAll('.', '_');
}

/**
 * The format of a set of tensor keys: kohya when every key has a kohya prefix (diffusers treats a
 * file as kohya only then), PEFT / diffusers when all keys parse in that grammar, else unknown.
 */
export function detectLoraFormat(keys: readonly string[]): LoraFormat {
  if (keys.length === 0) return 'unknown';
  if (keys.every((k) => /^lora_(unet|te\d?)_/.test(k))) return 'kohya';
  const parsed = keys.map(parsePeftStyleKey);
  if (parsed.every((p) => p?.style === 'peft')) return 'peft';
  if (parsed.every((p) => p !== undefined) && parsed.some((p) => p?.style === 'diffusers'))
    return 'diffusers';
  const kohyaCount = keys.filter((k) => k.startsWith('lora_')).length;
  const peftCount = parsed.filter(Boolean).length;
  if (kohyaCount === 0 && peftCount === 0) return 'unknown';
  if (kohyaCount >= peftCount) return 'kohya';
  return parsed.some((p) => p?.style === 'diffusers') ? 'diffusers' : 'peft';
}

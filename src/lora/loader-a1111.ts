// src/lora/loader-a1111.ts — would AUTOMATIC1111 map each key of a LoRA file onto SD1.5 (pure)? A port
// of stable-diffusion-webui extensions-builtin/Lora/networks.py `convert_diffusers_name_to_compvis` and
// the fallbacks in `load_network` (v1.6 - v1.10; SD1 path, is_sd2 = False, no diffusers_weight_map),
// checked against the module lists of sd15-modules.ts.
import { a1111CompvisName } from './compvis-names.js';
import {
  FULL_PARTS,
  LOHA_PARTS,
  LOKR_PARTS,
  type LoaderVerdict,
  loadsNothingNote,
  strictVerdict,
} from './loader-verdict.js';
import { sd15CompvisUnetModules, sd15TextEncoderModules } from './sd15-modules.js';

let a1111Modules: Set<string> | undefined;
/** `network_layer_mapping` of an SD1 model in A1111: every module name with `.` as `_`. */
function a1111LayerNames(): Set<string> {
  a1111Modules ??= new Set([
    ...sd15CompvisUnetModules().map((m) => m.replaceAll('.', '_')),
    ...sd15TextEncoderModules().map((m) => `transformer_${m}`.replaceAll('.', '_')),
  ]);
  return a1111Modules;
}

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
  const has = (n: 1 | 2) =>
    parts.has(`lokr_w${n}`) || (parts.has(`lokr_w${n}_a`) && parts.has(`lokr_w${n}_b`));
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
  if (modules.size === 0) notes.push(loadsNothingNote('A1111', keys.length));
  return strictVerdict('a1111', keys, unmapped, notes);
}

// src/lora/lokr.ts — LyCORIS LoKr (Kronecker-product) adapters, pure: the key grammar in kohya /
// LyCORIS style (`lora_unet_<path_>.lokr_w1`, `.alpha`) and PEFT style
// (`base_model.model.<path>.lokr_w1`), the module model with its factor shapes and the scale PEFT
// and the loaders apply, and a port of PEFT's factorization / factor-shape rules. Grouping a
// file's tensors into modules is lokr-assemble.ts'.
//
// delta W = kron(w1, w2) * scale, w1 = lokr_w1 or lokr_w1_a @ lokr_w1_b, w2 = lokr_w2 or lokr_w2_a @ lokr_w2_b.
// - PEFT (peft 0.21.2 tuners/lokr/layer.py): scale = alpha / r for every module.
// - LyCORIS / A1111 (extensions-builtin/Lora/network_lokr.py + network.py `calc_scale`) / ComfyUI
//   (comfy/weight_adapter/lokr.py): scale = alpha / dim with dim = lokr_w2_b.shape[0] (else
//   lokr_w1_b.shape[0]) when a factor is rank-decomposed; 1 when both factors are full matrices, or
//   when there is no `.alpha`. diffusers' `_bake_lokr_alpha_` reads them the same way.
import { parseKohyaModuleName } from './lora-keys.js';
import type { AlphaSource } from './lora-model.js';
import type { PeftLokrConfig } from './peft-config.js';
import type { TensorEntry } from './safetensors-format.js';
import { type LoraComponent, sd15KernelSize } from './sd15-modules.js';

/** Tensor parts of a LoKr module (`lokr_t2`, the Tucker core of use_effective_conv2d, is not supported). */
export const LOKR_PARTS = ['lokr_w1', 'lokr_w1_a', 'lokr_w1_b', 'lokr_w2', 'lokr_w2_a', 'lokr_w2_b'] as const;
export type LokrPart = (typeof LOKR_PARTS)[number];

const PART_ALTERNATION = LOKR_PARTS.join('|');
const KOHYA_LOKR_KEY = new RegExp(`^(lora_unet_|lora_te_|lora_te1_)([^.]+)\\.(${PART_ALTERNATION}|alpha)$`);
// PEFT saves LoKr parameters without `.weight` and without the adapter name (get_peft_model_state_dict).
const PEFT_LOKR_KEY = new RegExp(`^base_model\\.model\\.(.+)\\.(${PART_ALTERNATION})$`);

/** Whether a file's keys are LoKr (any `.lokr_` tensor, diffusers' own test); mixed files are refused later. */
export function isLokrKeys(keys: readonly string[]): boolean {
  return keys.some((k) => k.includes('.lokr_'));
}

export interface ParsedLokrKey {
  readonly style: 'kohya' | 'peft';
  readonly component: LoraComponent;
  /** diffusers / transformers module path, e.g. `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`. */
  readonly path: string;
  readonly part: LokrPart | 'alpha';
}

/** Parses a kohya (`lora_unet_x.lokr_w1`, `.alpha`) or PEFT (`base_model.model.x.lokr_w1`) LoKr key. */
export function parseLokrKey(key: string): ParsedLokrKey | undefined {
  const kohya = KOHYA_LOKR_KEY.exec(key);
  if (kohya) {
    const { component, path } = parseKohyaModuleName(kohya[1] as string, kohya[2] as string);
    return { style: 'kohya', component, path, part: kohya[3] as LokrPart | 'alpha' };
  }
  const peft = PEFT_LOKR_KEY.exec(key);
  if (!peft) return undefined;
  const path = peft[1] as string;
  const component: LoraComponent = path.startsWith('text_model.') ? 'text_encoder' : 'unet';
  return { style: 'peft', component, path, part: peft[2] as LokrPart };
}

/** The key style of a LoKr file: kohya when every key has a kohya prefix (as detectLoraFormat), else PEFT. */
export function detectLokrFormat(keys: readonly string[]): 'kohya' | 'peft' {
  return keys.every((k) => /^lora_(unet|te\d?)_/.test(k)) ? 'kohya' : 'peft';
}

// ---------------------------------------------------------------------------------------------
// PEFT's factor shapes (port of peft 0.21.2 tuners/lokr/layer.py)

/**
 * `factorization(dimension, factor)` of peft/tuners/lokr/layer.py (a copy of LyCORIS'): a fixed
 * factor that divides the dimension gives (factor, dimension / factor); otherwise (and for -1) the
 * divisor pair nearest the square root with the smaller side at most `factor`, smaller side first.
 * Ported line by line (its `length` is set once and never updated).
 */
export function factorization(dimension: number, factor = -1): [number, number] {
  if (factor > 0 && dimension % factor === 0) return [factor, dimension / factor];
  const limit = factor === -1 ? dimension : factor;
  let m = 1;
  let n = dimension;
  const length = m + n;
  while (m < n) {
    let newM = m + 1;
    while (dimension % newM !== 0) newM++;
    const newN = dimension / newM;
    if (newM + newN > length || newM > limit) break;
    m = newM;
    n = newN;
  }
  return m > n ? [n, m] : [m, n];
}

/** Shapes of the tensors PEFT creates for one LoKr module. */
export type LokrShapes = Partial<Record<LokrPart, number[]>>;

/**
 * The tensors PEFT's `LoKrLayer.update_layer` + `create_adapter_parameters` create for a Linear
 * (`kernel` []) or Conv (`kernel` [kh, kw], use_effective_conv2d off) with the given features:
 * each side split by `factorization(features, decompose_factor)`; w1 full unless decompose_both and
 * r < max(w1 sides) / 2, w2 full unless r < max(w2 sides) / 2.
 */
export function peftLokrShapes(
  outFeatures: number,
  inFeatures: number,
  r: number,
  decomposeFactor: number,
  decomposeBoth: boolean,
  kernel: readonly number[] = [],
): LokrShapes {
  const [outL, outK] = factorization(outFeatures, decomposeFactor);
  const [inM, inN] = factorization(inFeatures, decomposeFactor);
  const useW1 = !(decomposeBoth && r < Math.max(outL, inM) / 2);
  const useW2 = !(r < Math.max(outK, inN) / 2);
  const kernelSize = kernel.reduce((a, b) => a * b, 1);
  return {
    ...(useW1 ? { lokr_w1: [outL, inM] } : { lokr_w1_a: [outL, r], lokr_w1_b: [r, inM] }),
    ...(useW2
      ? { lokr_w2: [outK, inN, ...kernel] }
      : { lokr_w2_a: [outK, r], lokr_w2_b: [r, inN * kernelSize] }),
  };
}

// ---------------------------------------------------------------------------------------------
// Modules

export interface LokrModule {
  readonly component: LoraComponent;
  readonly path: string;
  /** Whether the module is one of SD1.5's (name table in sd15-modules.ts). */
  readonly known: boolean;
  readonly parts: Readonly<Partial<Record<LokrPart, TensorEntry>>>;
  /** Rank of the decomposed factor loaders read (`lokr_w2_b.shape[0]`, else `lokr_w1_b.shape[0]`); undefined when both factors are full. */
  readonly rank?: number;
  /** The module's alpha in its own format: the kohya `.alpha`, or PEFT's alpha (alpha_pattern / alpha). */
  readonly alpha: number;
  readonly alphaSource: AlphaSource;
  /** PEFT's r and alpha for the module (PEFT input with a config). */
  readonly peft?: { readonly r: number; readonly alpha: number };
  /** delta W = kron(w1, w2) * scale: what PEFT (PEFT input) or the loaders (kohya input) apply at weight 1. */
  readonly scale: number;
  /** Both factors full, PEFT input: the `.alpha` of the kohya file it came from (lokr-kohya-alphas.ts). */
  readonly kohyaAlpha?: number;
}

export interface LokrModel {
  readonly format: 'kohya' | 'peft';
  readonly modules: readonly LokrModule[];
  /** Keys that belong to no LoKr module (lokr_t2, LoHa, stray alphas, ...). */
  readonly unknownKeys: readonly string[];
  /** LoRA tensors (lora_down / lora_A, ...) beside the LoKr ones: convert refuses such a mixed file. */
  readonly loraKeys: readonly string[];
  readonly warnings: readonly string[];
  /** adapter_config.json per component (PEFT input). */
  readonly configs?: Readonly<Partial<Record<LoraComponent, PeftLokrConfig>>>;
}

/**
 * The factor sides of a module: w1 is [outL, inM], w2 is [outK, inN, ...kernel]. A full lokr_w2 of a
 * convolution is 4-D; a decomposed one is lokr_w2_a [outK, r] @ lokr_w2_b [r, inN * kh * kw] (LyCORIS
 * lokr.py without use_tucker, PEFT 0.21.2 `create_adapter_parameters`, both 2-D), so its kernel comes from
 * the module (SD1.5's 3 x 3 convolutions, {@link sd15KernelSize}).
 */
export interface LokrDims {
  readonly outL: number;
  readonly inM: number;
  readonly outK: number;
  readonly inN: number;
  readonly kernel: readonly number[];
}

export function lokrDims(module: Pick<LokrModule, 'parts' | 'component' | 'path'>): LokrDims {
  const {
    lokr_w1: w1,
    lokr_w1_a: w1a,
    lokr_w1_b: w1b,
    lokr_w2: w2,
    lokr_w2_a: w2a,
    lokr_w2_b: w2b,
  } = module.parts;
  const [outL, inM] = w1 ? w1.shape : [w1a?.shape[0], w1b?.shape[1]];
  if (w2) {
    const [outK, inN] = w2.shape;
    return {
      outL: outL as number,
      inM: inM as number,
      outK: outK as number,
      inN: inN as number,
      kernel: w2.shape.slice(2),
    };
  }
  const kernel = sd15KernelSize(module.component, module.path);
  const kernelSize = kernel.reduce((a, b) => a * b, 1);
  const columns = w2b?.shape[1] as number;
  // Not divisible: not laid out as that convolution; read as a linear layer (its split check then names it).
  const conv = kernelSize > 1 && columns % kernelSize === 0;
  return {
    outL: outL as number,
    inM: inM as number,
    outK: w2a?.shape[0] as number,
    inN: conv ? columns / kernelSize : columns,
    kernel: conv ? kernel : [],
  };
}

/** One factor as `inspect` shows it: the shape of w1 / w2 (a product's result shape when decomposed). */
export interface LokrFactorInfo {
  readonly shape: readonly number[];
  readonly decomposed: boolean;
  /** Rank of lokr_wN_a @ lokr_wN_b when decomposed. */
  readonly rank?: number;
}

export function lokrFactors(module: LokrModule): { w1: LokrFactorInfo; w2: LokrFactorInfo } {
  const d = lokrDims(module);
  const { lokr_w1_b: w1b, lokr_w2_b: w2b } = module.parts;
  return {
    w1: w1b
      ? { shape: [d.outL, d.inM], decomposed: true, rank: w1b.shape[0] as number }
      : { shape: [d.outL, d.inM], decomposed: false },
    w2: w2b
      ? { shape: [d.outK, d.inN, ...d.kernel], decomposed: true, rank: w2b.shape[0] as number }
      : { shape: [d.outK, d.inN, ...d.kernel], decomposed: false },
  };
}

/**
 * The `.alpha` a kohya / LyCORIS file holds for the module: decomposed, its alpha (scale = alpha /
 * rank); both factors full, which loaders ignore, the kohya file's own value when a PEFT folder carries
 * it, else PEFT's r (as LyCORIS writes its network dim there).
 */
export function kohyaAlphaOf(module: LokrModule): number {
  return module.rank === undefined ? (module.kohyaAlpha ?? module.peft?.r ?? module.alpha) : module.alpha;
}

/**
 * The factor to multiply lokr_w1 by when writing a kohya file: both factors full (loaders apply scale
 * 1) but the module's scale is not 1 (PEFT alpha != r). Undefined when nothing needs baking.
 */
export function bakeScaleOf(module: LokrModule): number | undefined {
  return module.rank === undefined && module.scale !== 1 ? module.scale : undefined;
}

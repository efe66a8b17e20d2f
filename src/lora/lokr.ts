// src/lora/lokr.ts — LyCORIS LoKr (Kronecker-product) adapters, pure: the key grammar in kohya /
// LyCORIS style (`lora_unet_<path_>.lokr_w1`, `.alpha`) and PEFT style
// (`base_model.model.<path>.lokr_w1`), grouping into modules with their factor shapes, the scale
// PEFT and the loaders apply, and a port of PEFT's factorization / factor-shape rules.
//
// delta W = kron(w1, w2) * scale, w1 = lokr_w1 or lokr_w1_a @ lokr_w1_b, w2 = lokr_w2 or lokr_w2_a @ lokr_w2_b.
// - PEFT (peft 0.21.2 tuners/lokr/layer.py): scale = alpha / r for every module.
// - LyCORIS / A1111 (extensions-builtin/Lora/network_lokr.py + network.py `calc_scale`) / ComfyUI
//   (comfy/weight_adapter/lokr.py): scale = alpha / dim with dim = lokr_w2_b.shape[0] (else
//   lokr_w1_b.shape[0]) when a factor is rank-decomposed; 1 when both factors are full matrices, or
//   when there is no `.alpha`. diffusers' `_bake_lokr_alpha_` reads them the same way.
import { ToonloraError } from '../errors.js';
import {
  kohyaModuleName,
  modulePlace,
  parseKohyaKey,
  parseKohyaModuleName,
  parsePeftStyleKey,
} from './lora-keys.js';
import type { AlphaSource } from './lora-model.js';
import { type PeftLokrConfig, peftLokrModuleRank } from './peft-config.js';
import type { TensorEntry } from './safetensors-format.js';
import { knownKohyaNames, type LoraComponent, sd15KernelSize } from './sd15-modules.js';

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

/** Whether a key is a LoRA tensor (kohya lora_down / lora_up / dora_scale, PEFT / diffusers lora_A / lora_B). */
function isLoraPartKey(key: string): boolean {
  const kohya = parseKohyaKey(key);
  if (kohya) return kohya.part !== 'alpha';
  return parsePeftStyleKey(key) !== undefined;
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

// ---------------------------------------------------------------------------------------------
// Assembly

export interface LokrAssembleOptions {
  readonly format: 'kohya' | 'peft';
  readonly file: string;
  /** Decoded `.alpha` scalars by tensor key (kohya). */
  readonly alphaValues?: ReadonlyMap<string, number>;
  /** adapter_config.json of these tensors (PEFT). */
  readonly config?: PeftLokrConfig;
  /** Every module belongs to this component (a PEFT folder's `text_encoder/` adapter); paths get `text_model.`. */
  readonly component?: LoraComponent;
}

interface Draft {
  component: LoraComponent;
  path: string;
  known: boolean;
  parts: Partial<Record<LokrPart, TensorEntry>>;
  alpha?: TensorEntry;
  /** LoRA tensors of the same module name. */
  lora: string[];
}

function formatError(file: string, what: string, module?: string): ToonloraError {
  return new ToonloraError('TL_ERR_LORA_FORMAT', `${file}: ${module ? `module "${module}": ` : ''}${what}`, {
    details: { file, ...(module ? { module } : {}) },
  });
}

/** The key style of a LoKr file: kohya when every key has a kohya prefix (as detectLoraFormat), else PEFT. */
export function detectLokrFormat(keys: readonly string[]): 'kohya' | 'peft' {
  return keys.every((k) => /^lora_(unet|te\d?)_/.test(k)) ? 'kohya' : 'peft';
}

function draftFor(drafts: Map<string, Draft>, component: LoraComponent, path: string): Draft {
  const id = kohyaModuleName(component, path);
  let draft = drafts.get(id);
  if (!draft) {
    draft = { component, path, known: knownKohyaNames().has(id), parts: {}, lora: [] };
    drafts.set(id, draft);
  }
  return draft;
}

function groupTensors(
  tensors: readonly TensorEntry[],
  options: LokrAssembleOptions,
): { drafts: Map<string, Draft>; unknown: string[] } {
  const drafts = new Map<string, Draft>();
  const unknown: string[] = [];
  const forced = options.component;
  for (const tensor of tensors) {
    const parsed = parseLokrKey(tensor.name);
    if (!parsed || parsed.style !== options.format) {
      if (isLoraPartKey(tensor.name)) {
        const lora = parseKohyaKey(tensor.name) ?? parsePeftStyleKey(tensor.name);
        if (lora) draftFor(drafts, forced ?? lora.component, lora.path).lora.push(tensor.name);
      } else unknown.push(tensor.name);
      continue;
    }
    const { component, path } = modulePlace(parsed, forced);
    const draft = draftFor(drafts, component, path);
    if (parsed.part === 'alpha') {
      if (draft.alpha) unknown.push(tensor.name);
      else draft.alpha = tensor;
    } else if (draft.parts[parsed.part]) unknown.push(tensor.name);
    else draft.parts[parsed.part] = tensor;
  }
  return { drafts, unknown };
}

/** Checks one factor's tensors: a full matrix, or an a / b pair whose inner sizes agree. */
function checkFactor(draft: Draft, n: 1 | 2, file: string): number | undefined {
  const name = `${draft.component}.${draft.path}`;
  const full = draft.parts[`lokr_w${n}`];
  const a = draft.parts[`lokr_w${n}_a`];
  const b = draft.parts[`lokr_w${n}_b`];
  if (full && (a || b))
    throw formatError(file, `has both lokr_w${n} and lokr_w${n}_a / _b; a factor is one or the other.`, name);
  if (full) {
    if (full.shape.length < 2 || (n === 1 && full.shape.length !== 2))
      throw formatError(file, `lokr_w${n} ${JSON.stringify(full.shape)} is not a matrix.`, name);
    return undefined;
  }
  if (!a || !b) {
    const what =
      a || b
        ? a
          ? `lokr_w${n}_a without lokr_w${n}_b`
          : `lokr_w${n}_b without lokr_w${n}_a`
        : `no factor w${n} (lokr_w${n}, or lokr_w${n}_a + lokr_w${n}_b)`;
    throw formatError(file, `has ${what}. The file is incomplete.`, name);
  }
  const rank = a.shape[1];
  if (a.shape.length !== 2 || b.shape.length !== 2 || rank !== b.shape[0] || rank === 0) {
    throw formatError(
      file,
      `lokr_w${n}_a ${JSON.stringify(a.shape)} and lokr_w${n}_b ${JSON.stringify(b.shape)} do not multiply (a is [rows, rank], b is [rank, columns]).`,
      name,
    );
  }
  return rank;
}

function buildModule(draft: Draft, options: LokrAssembleOptions): LokrModule {
  const name = `${draft.component}.${draft.path}`;
  const rank1 = checkFactor(draft, 1, options.file);
  const rank2 = checkFactor(draft, 2, options.file);
  const rank = rank2 ?? rank1;
  const base = { component: draft.component, path: draft.path, known: draft.known, parts: draft.parts };
  const d = lokrDims(draft);
  // No .alpha (kohya) or no adapter_config.json (PEFT): scale 1. Full factors: LyCORIS' own value is its
  // dim; max(w2) is what kohya -> PEFT uses.
  const assumed: LokrModule = {
    ...base,
    ...(rank ? { rank } : {}),
    alpha: rank ?? Math.max(d.outK, d.inN),
    alphaSource: 'assumed-rank',
    scale: 1,
  };
  if (options.format === 'kohya') {
    if (!draft.alpha) return assumed;
    const value = options.alphaValues?.get(draft.alpha.name);
    if (value === undefined || !Number.isFinite(value))
      throw formatError(options.file, `alpha tensor "${draft.alpha.name}" is not a finite number.`, name);
    return {
      ...base,
      ...(rank ? { rank } : {}),
      alpha: value,
      alphaSource: 'tensor',
      scale: rank ? value / rank : 1,
    };
  }
  if (!options.config) return assumed;
  const peft = peftLokrModuleRank(options.config, draft.path);
  if (rank1 !== undefined && rank2 !== undefined && rank1 !== rank2)
    throw formatError(
      options.file,
      `lokr_w1 has rank ${rank1} but lokr_w2 rank ${rank2}; PEFT uses one r for both.`,
      name,
    );
  if (rank !== undefined && rank !== peft.r) {
    throw formatError(
      options.file,
      `config gives rank ${peft.r} (r / rank_pattern) but the tensors have rank ${rank}. The config does not belong to these weights.`,
      name,
    );
  }
  return {
    ...base,
    ...(rank ? { rank } : {}),
    alpha: peft.alpha,
    alphaSource: 'config',
    peft,
    scale: peft.alpha / peft.r,
  };
}

/** Warnings about `modules` themselves (alpha assumed); recomputed when modules are dropped. */
export function lokrModuleWarnings(format: 'kohya' | 'peft', modules: readonly LokrModule[]): string[] {
  const assumed = modules.filter(
    (m) => m.alphaSource === 'assumed-rank' && (format === 'peft' || m.rank),
  ).length;
  if (assumed === 0) return [];
  return [
    format === 'kohya'
      ? `${assumed} rank-decomposed LoKr module(s) have no .alpha tensor: loaders then use scale 1.0 (alpha = rank).`
      : `${assumed} LoKr module(s) have no adapter_config.json: assuming alpha = r (scale 1.0).`,
  ];
}

/**
 * Builds the module list of a LoKr file (kohya / LyCORIS or PEFT keys).
 * @throws TL_ERR_LORA_FORMAT when a module misses a factor, shapes disagree or the config's rank differs.
 */
export function assembleLokrModel(tensors: readonly TensorEntry[], options: LokrAssembleOptions): LokrModel {
  const { drafts, unknown } = groupTensors(tensors, options);
  const modules: LokrModule[] = [];
  const loraKeys: string[] = [];
  for (const draft of drafts.values()) {
    loraKeys.push(...draft.lora);
    const hasLokr = Object.keys(draft.parts).length > 0;
    if (!hasLokr) {
      // A LoRA module (its alpha included), or a lone alpha.
      if (draft.alpha) (draft.lora.length > 0 ? loraKeys : unknown).push(draft.alpha.name);
      continue;
    }
    modules.push(buildModule(draft, options));
  }
  modules.sort((a, b) => (a.component + a.path < b.component + b.path ? -1 : 1));
  return {
    format: options.format,
    modules,
    unknownKeys: unknown,
    loraKeys,
    warnings: lokrModuleWarnings(options.format, modules),
    ...(options.config ? { configs: { [options.component ?? 'unet']: options.config } } : {}),
  };
}

/** TL_ERR_LORA_FORMAT for a file holding LoRA and LoKr modules together. */
export function mixedLokrError(file: string, loraKeys: readonly string[]): ToonloraError {
  return new ToonloraError(
    'TL_ERR_LORA_FORMAT',
    `${file}: holds both LoKr tensors (lokr_w1, lokr_w2, ...) and ${loraKeys.length} LoRA tensor(s) (e.g. "${loraKeys[0]}"); convert handles one kind of adapter per file, so nothing was written. Split the file or convert it with the tool that made it.`,
    { details: { file, loraKeys: loraKeys.slice(0, 5), loraCount: loraKeys.length } },
  );
}

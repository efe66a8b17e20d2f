// src/lora/lokr-assemble.ts — a LoKr file's tensors grouped into modules (pure): each module's
// factors checked (a full matrix or an a / b pair that multiply), its alpha and scale read from the
// kohya `.alpha` or PEFT's adapter_config.json, LoRA tensors and stray keys set aside, and the
// warnings and errors (an incomplete module, a config of other weights, LoRA + LoKr in one file).
// The key grammar and the module types are lokr.ts'.
import { ToonloraError } from '../errors.js';
import { kohyaModuleName, modulePlace, parseKohyaKey, parsePeftStyleKey } from './lora-keys.js';
import { type LokrModel, type LokrModule, type LokrPart, lokrDims, parseLokrKey } from './lokr.js';
import { type PeftLokrConfig, peftLokrModuleRank } from './peft-config.js';
import type { TensorEntry } from './safetensors-format.js';
import { knownKohyaNames, type LoraComponent } from './sd15-modules.js';

/** Whether a key is a LoRA tensor (kohya lora_down / lora_up / dora_scale, PEFT / diffusers lora_A / lora_B). */
function isLoraPartKey(key: string): boolean {
  const kohya = parseKohyaKey(key);
  if (kohya) return kohya.part !== 'alpha';
  return parsePeftStyleKey(key) !== undefined;
}

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
 * The components a file's adapter_config.json covers: the forced one (a `text_encoder/` adapter), else
 * both, as the file's modules were all read with it (a root adapter may hold text-encoder modules, or
 * only those), as open-lora.ts does for LoRA.
 */
function configsOf(
  config: PeftLokrConfig,
  component: LoraComponent | undefined,
): Partial<Record<LoraComponent, PeftLokrConfig>> {
  return component ? { [component]: config } : { unet: config, text_encoder: config };
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
    ...(options.config ? { configs: configsOf(options.config, options.component) } : {}),
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

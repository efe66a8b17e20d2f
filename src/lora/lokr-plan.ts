// src/lora/lokr-plan.ts — what a LoKr conversion writes (pure): a kohya / LyCORIS file (same tensors,
// one float32 `.alpha` per module, PEFT's scale baked into lokr_w1 where both factors are full), or a
// PEFT folder whose adapter_config.json makes PEFT re-create exactly the file's factor shapes and
// scales (r, alpha, rank_pattern, alpha_pattern, decompose_factor, decompose_both inferred from the
// shapes, as diffusers' `_create_lokr_config` does); and the LoKr network metadata.
import { ToonloraError } from '../errors.js';
import {
  type PlannedFile,
  type PlanOptions,
  baseNetworkMetadata,
  keptKohyaMetadata,
  kohyaTrainingMetadata,
  peftWeightsPath,
  plannedTensor,
} from './convert-plan.js';
import { networkModuleMetadata } from './kohya-metadata.js';
import { kohyaModuleName } from './lora-keys.js';
import { kohyaAlphasMetadata } from './lokr-kohya-alphas.js';
import {
  bakeScaleOf,
  factorization,
  kohyaAlphaOf,
  LOKR_PARTS,
  type LokrModel,
  type LokrModule,
  type LokrShapes,
  lokrDims,
  peftLokrShapes,
} from './lokr.js';
import { mostCommon, shortestFloat32 } from './peft-config.js';
import type { LoraComponent } from './sd15-modules.js';

/** A planned tensor whose source values are multiplied by `scaleBy` (in float32) before writing. */
export interface PlannedLokrTensor {
  readonly scaleBy?: number;
}

export type PlannedLokrFile = PlannedFile & {
  readonly tensors: Array<PlannedFile['tensors'][number] & PlannedLokrTensor>;
};

/** The PEFT LoKr settings that re-create a set of modules. */
export interface InferredLokrConfig {
  readonly r: number;
  readonly alpha: number;
  readonly rankPattern: Record<string, number>;
  readonly alphaPattern: Record<string, number>;
  readonly decomposeFactor: number;
  readonly decomposeBoth: boolean;
  readonly targetModules: string[];
}

function formatError(file: string, what: string, module?: string): ToonloraError {
  return new ToonloraError('TL_ERR_LORA_FORMAT', `${file}: ${module ? `module "${module}": ` : ''}${what}`, {
    details: { file, ...(module ? { module } : {}) },
  });
}

/** The message convert gives for a LoKr adapter asked for in diffusers format. */
export function lokrDiffusersError(file: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_LORA_FORMAT',
    `${file}: is a LoKr (LyCORIS Kronecker-product) adapter; diffusers' SD1.5 loader (load_lora_weights) has no LoKr format, so there is no diffusers file to write. Use the kohya file (--to kohya), which toonlora generate, the WebUI and ComfyUI load.`,
    { details: { file, algorithm: 'lokr', to: 'diffusers' } },
  );
}

/**
 * PEFT's r and alpha for one module: PEFT input keeps its own; a decomposed factor's rank is r (the
 * kohya alpha stays alpha: alpha / dim == alpha / r); both factors full (loaders' scale 1): r large
 * enough that PEFT creates full matrices (max of lokr_w2's sides, diffusers' choice; max of w1's
 * when decompose_both) and alpha = r.
 */
export function peftRankAlpha(
  module: LokrModule,
  decomposeBoth: boolean,
  file: string,
): { r: number; alpha: number } {
  if (module.peft) return module.peft;
  const { lokr_w1_b: w1b, lokr_w2_b: w2b } = module.parts;
  if (w1b && w2b && w1b.shape[0] !== w2b.shape[0]) {
    throw formatError(
      file,
      `lokr_w1 has rank ${w1b.shape[0]} but lokr_w2 rank ${w2b.shape[0]}; PEFT uses one r for both factors, so it cannot hold this module. Keep the kohya file (the WebUI and ComfyUI load it).`,
      `${module.component}.${module.path}`,
    );
  }
  if (module.rank !== undefined) return { r: module.rank, alpha: shortestFloat32(module.alpha) };
  const d = lokrDims(module);
  let r = Math.max(d.outK, d.inN);
  if (decomposeBoth && r < Math.max(d.outL, d.inM) / 2) r = Math.max(d.outL, d.inM);
  return { r, alpha: r };
}

const sameShape = (a: readonly number[] | undefined, b: readonly number[] | undefined) =>
  a !== undefined && b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);

/** The file's tensor shapes of a module, in the form of {@link peftLokrShapes}. */
export function moduleShapes(module: LokrModule): LokrShapes {
  const shapes: LokrShapes = {};
  for (const part of LOKR_PARTS) {
    const entry = module.parts[part];
    if (entry) shapes[part] = [...entry.shape];
  }
  return shapes;
}

function describeShapes(shapes: LokrShapes): string {
  return LOKR_PARTS.filter((p) => shapes[p])
    .map((p) => `${p} ${JSON.stringify(shapes[p])}`)
    .join(', ');
}

/** Whether `factor` splits every module's features the way the file's factors do. */
function splitsAll(modules: readonly LokrModule[], factor: number): boolean {
  return modules.every((m) => {
    const d = lokrDims(m);
    return (
      sameShape(factorization(d.outL * d.outK, factor), [d.outL, d.outK]) &&
      sameShape(factorization(d.inM * d.inN, factor), [d.inM, d.inN])
    );
  });
}

/**
 * The PEFT LoKrConfig settings that make PEFT create exactly `modules`' tensors (shapes checked
 * through the port of PEFT's rules, {@link peftLokrShapes}) with the same scale per module.
 * `preferredFactors` are tried first (the source's decompose_factor or LyCORIS `factor`), then -1,
 * then every first-factor side seen (a fixed factor shows up as the side of the modules it divides).
 * @throws TL_ERR_LORA_FORMAT when no decompose_factor reproduces the split, or PEFT's rules would
 *   create other shapes (e.g. a rank PEFT would store as a full matrix).
 */
export function inferPeftLokrConfig(
  modules: readonly LokrModule[],
  file: string,
  preferredFactors: readonly number[] = [],
): InferredLokrConfig {
  const first = modules[0];
  if (!first) throw formatError(file, 'no LoKr module to write.');
  const sides = [...new Set(modules.flatMap((m) => [lokrDims(m).outL, lokrDims(m).inM]))].sort(
    (a, b) => a - b,
  );
  const candidates = [...new Set([...preferredFactors, -1, ...sides])];
  const factor = candidates.find((c) => splitsAll(modules, c));
  if (factor === undefined) {
    const d = lokrDims(first);
    throw formatError(
      file,
      `no PEFT decompose_factor splits every module's features the way this file does (e.g. "${first.path}": w1 [${d.outL}, ${d.inM}] x w2 [${d.outK}, ${d.inN}] of a ${d.outL * d.outK} x ${d.inM * d.inN} layer), so PEFT could not re-create these factors and it cannot be converted to PEFT. Keep the kohya file: the WebUI and ComfyUI load it.`,
    );
  }
  const decomposeBoth = modules.some((m) => m.parts.lokr_w1_a !== undefined);
  const specs = modules.map((m) => ({ module: m, ...peftRankAlpha(m, decomposeBoth, file) }));
  for (const { module, r } of specs) {
    const d = lokrDims(module);
    const expected = peftLokrShapes(d.outL * d.outK, d.inM * d.inN, r, factor, decomposeBoth, d.kernel);
    const actual = moduleShapes(module);
    const same =
      LOKR_PARTS.every((p) => (expected[p] === undefined) === (actual[p] === undefined)) &&
      LOKR_PARTS.every((p) => expected[p] === undefined || sameShape(expected[p], actual[p]));
    if (!same) {
      throw formatError(
        file,
        `PEFT (r ${r}, decompose_factor ${factor}, decompose_both ${decomposeBoth}) would create ${describeShapes(expected)}, but the file has ${describeShapes(actual)}; PEFT cannot hold this module, so it cannot be converted to PEFT. Keep the kohya file: the WebUI and ComfyUI load it.`,
        `${module.component}.${module.path}`,
      );
    }
  }
  const r = mostCommon(specs.map((s) => s.r));
  // alpha from the modules at r: full-full modules then differ in rank_pattern and alpha_pattern together.
  const alpha = mostCommon(specs.filter((s) => s.r === r).map((s) => s.alpha));
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  for (const s of specs) {
    if (s.r !== r) rankPattern[s.module.path] = s.r;
    if (s.alpha !== alpha) alphaPattern[s.module.path] = s.alpha;
  }
  return {
    r,
    alpha,
    rankPattern,
    alphaPattern,
    decomposeFactor: factor,
    decomposeBoth,
    targetModules: [...new Set(modules.map((m) => m.path))].sort(),
  };
}

/** The adapter_config.json (PEFT `LoKrConfig.to_dict()` fields) for inferred settings. */
export function buildPeftLokrConfig(
  inferred: InferredLokrConfig,
  baseModel?: string,
): Record<string, unknown> {
  return {
    peft_type: 'LOKR',
    base_model_name_or_path: baseModel ?? null,
    r: inferred.r,
    alpha: inferred.alpha,
    rank_pattern: inferred.rankPattern,
    alpha_pattern: inferred.alphaPattern,
    target_modules: inferred.targetModules,
    decompose_both: inferred.decomposeBoth,
    decompose_factor: inferred.decomposeFactor,
    use_effective_conv2d: false,
    rank_dropout: 0,
    module_dropout: 0,
    rank_dropout_scale: false,
    init_weights: true,
    exclude_modules: null,
    layers_to_transform: null,
    layers_pattern: null,
    modules_to_save: null,
    task_type: null,
  };
}

/** LyCORIS' `factor` network arg recorded in kohya metadata (`ss_network_args`), if any. */
export function metadataLokrFactor(
  metadata: Readonly<Record<string, string>> | undefined,
): number | undefined {
  const raw = metadata?.ss_network_args;
  if (!raw) return undefined;
  try {
    const args: unknown = JSON.parse(raw);
    const factor =
      typeof args === 'object' && args !== null ? (args as Record<string, unknown>).factor : undefined;
    const value = Number(factor);
    return factor !== undefined && Number.isInteger(value) && value !== 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

function modulesOf(model: LokrModel, component: LoraComponent): LokrModule[] {
  return model.modules.filter((m) => m.component === component);
}

/** decompose_factor candidates to try first for a component: its PEFT config's, else the kohya metadata's. */
function preferredFactors(
  model: LokrModel,
  component: LoraComponent,
  sourceMetadata: Readonly<Record<string, string>> | undefined,
): number[] {
  const fromConfig = model.configs?.[component]?.decompose_factor;
  const fromMetadata = metadataLokrFactor(sourceMetadata);
  return [fromConfig, fromMetadata].filter((v): v is number => v !== undefined);
}

/** Network-wide r, alpha and factor of a LoKr model, for ss_network_dim / ss_network_alpha / ss_network_args. */
export function lokrNetworkFacts(
  model: LokrModel,
  sourceMetadata?: Readonly<Record<string, string>>,
): { rank: number; alpha: number; factor?: number } {
  const component: LoraComponent = modulesOf(model, 'unet').length > 0 ? 'unet' : 'text_encoder';
  const config = model.configs?.[component];
  if (config) return { rank: config.r, alpha: config.alpha, factor: config.decompose_factor };
  try {
    const inferred = inferPeftLokrConfig(
      modulesOf(model, component),
      '',
      preferredFactors(model, component, sourceMetadata),
    );
    return { rank: inferred.r, alpha: inferred.alpha, factor: inferred.decomposeFactor };
  } catch {
    // Not re-creatable by PEFT: the loaders' view, without a factor unless the metadata has one.
    const factor = metadataLokrFactor(sourceMetadata);
    return {
      rank: mostCommon(model.modules.map((m) => m.rank ?? kohyaAlphaOf(m))),
      alpha: mostCommon(model.modules.map((m) => shortestFloat32(kohyaAlphaOf(m)))),
      ...(factor === undefined ? {} : { factor }),
    };
  }
}

/** Network metadata of a LoKr kohya file written without training facts. */
export function lokrNetworkMetadata(
  model: LokrModel,
  sourceMetadata?: Readonly<Record<string, string>>,
): Record<string, string> {
  const facts = lokrNetworkFacts(model, sourceMetadata);
  return baseNetworkMetadata(networkModuleMetadata(false, { factor: facts.factor }), facts.rank, facts.alpha);
}

function planKohya(model: LokrModel, options: PlanOptions): PlannedLokrFile[] {
  const tensors: PlannedLokrFile['tensors'] = [];
  for (const m of model.modules) {
    const name = kohyaModuleName(m.component, m.path);
    const bake = bakeScaleOf(m);
    for (const part of LOKR_PARTS) {
      const entry = m.parts[part];
      if (!entry) continue;
      const planned = plannedTensor(`${name}.${part}`, entry, options.precision);
      tensors.push(part === 'lokr_w1' && bake !== undefined ? { ...planned, scaleBy: bake } : planned);
    }
    // float32 whatever the precision, as for LoRA: loaders read it with .item().
    tensors.push({ name: `${name}.alpha`, dtype: 'F32', shape: [], scalar: kohyaAlphaOf(m) });
  }
  const network = () => lokrNetworkMetadata(model, options.sourceMetadata);
  const metadata =
    options.kohyaMetadata ?? keptKohyaMetadata(model.format, options.sourceMetadata, network) ?? network();
  return [{ relativePath: '', tensors, metadata, kohyaHashes: true }];
}

function planPeft(model: LokrModel, options: PlanOptions, file: string): PlannedLokrFile[] {
  const files: PlannedLokrFile[] = [];
  const hasUnet = modulesOf(model, 'unet').length > 0;
  for (const component of ['unet', 'text_encoder'] as const) {
    const modules = modulesOf(model, component);
    if (modules.length === 0) continue;
    const relativePath = peftWeightsPath(component, hasUnet);
    const inferred = inferPeftLokrConfig(
      modules,
      file,
      preferredFactors(model, component, options.sourceMetadata),
    );
    const tensors = modules.flatMap((m) =>
      LOKR_PARTS.flatMap((part) => {
        const entry = m.parts[part];
        return entry ? [plannedTensor(`base_model.model.${m.path}.${part}`, entry, options.precision)] : [];
      }),
    );
    files.push({
      relativePath,
      tensors,
      // kohya's metadata rides in the folder's main file (the root one), as for LoRA.
      metadata: {
        format: 'pt',
        ...(relativePath.startsWith('text_encoder/') ? {} : kohyaTrainingMetadata(options.sourceMetadata)),
        ...kohyaAlphasMetadata(
          modules,
          kohyaAlphaOf,
          (m) => peftRankAlpha(m, inferred.decomposeBoth, file).r,
        ),
      },
      adapterConfig: buildPeftLokrConfig(inferred, options.baseModel),
      kohyaHashes: false,
    });
  }
  return files;
}

/**
 * Plans the output files of converting a LoKr `model` to `options.to` (kohya or PEFT).
 * @throws TL_ERR_LORA_FORMAT for diffusers (no LoKr format there), or when PEFT cannot re-create the factors.
 */
export function planLokrConversion(model: LokrModel, options: PlanOptions, file: string): PlannedLokrFile[] {
  if (options.to === 'diffusers') throw lokrDiffusersError(file);
  if (options.to === 'peft') return planPeft(model, options, file);
  return planKohya(model, options);
}

// src/lora/convert-plan.ts — what a conversion writes (pure): for each output file its tensors (name,
// dtype, shape, which source tensor feeds it or which scalar), its metadata and, for PEFT, its
// adapter_config.json. The I/O side (convert.ts) only streams bytes along this plan.
import { ToonloraError } from '../errors.js';
import { isFloatDtype, PRECISION_DTYPES, type Precision } from './float-convert.js';
import type { LoraFormat } from './lora-keys.js';
import { kohyaModuleName, peftTargetPath } from './lora-keys.js';
import type { LoraModel, LoraModule } from './lora-model.js';
import {
  givenFacts,
  networkModuleMetadata,
  onlyGivenFacts,
  overlayTrainingFacts,
  withRecordedFacts,
} from './kohya-metadata.js';
import { pythonFloatRepr } from './kohya-run-keys.js';
import { buildPeftConfig, shortestFloat32 } from './peft-config.js';
import type { Dtype, TensorEntry } from './safetensors-format.js';
import type { LoraComponent } from './sd15-modules.js';

export type TargetFormat = Exclude<LoraFormat, 'unknown'>;

/** One tensor of an output file: copied / converted from `source`, a float32 scalar, or bytes at hand. */
export interface PlannedTensor {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly source?: TensorEntry;
  readonly scalar?: number;
  /** The tensor's data, already in `dtype` (small tensors computed in memory, e.g. a baked LoKr factor). */
  readonly bytes?: Uint8Array;
}

export interface PlannedFile {
  /** Path relative to the output: `''` is the output file itself (kohya / diffusers), else a file under the output folder. */
  readonly relativePath: string;
  readonly tensors: PlannedTensor[];
  readonly metadata: Record<string, string>;
  /** adapter_config.json content written beside it (PEFT). */
  readonly adapterConfig?: Record<string, unknown>;
  /** Fill kohya's sshs_* hashes. */
  readonly kohyaHashes: boolean;
}

export interface PlanOptions {
  readonly to: TargetFormat;
  /** Output float dtype; undefined keeps each tensor's own dtype. */
  readonly precision?: Precision;
  /** Metadata for kohya output (already built); kohya -> kohya keeps the source's when not given. */
  readonly kohyaMetadata?: Record<string, string>;
  readonly sourceMetadata?: Readonly<Record<string, string>>;
  readonly baseModel?: string;
}

function outDtype(source: TensorEntry, precision: Precision | undefined): Dtype {
  if (!precision || !isFloatDtype(source.dtype)) return source.dtype;
  return PRECISION_DTYPES[precision];
}

/**
 * DoRA magnitude orientation. PEFT stores `lora_magnitude_vector` as the per-output-row norm:
 * Linear `(out,)` (peft/tuners/lora/dora.py `DoraLinearLayer.get_weight_norm`, norm over dim 1),
 * Conv `(1, out, 1, 1)` (`_DoraConvNdLayer`: norm keepdim then transpose(1, 0)). LyCORIS
 * (lycoris/modules/locon.py, `wd_on_out=True`) stores the same numbers as `dora_scale` of shape
 * `(out, 1)` / `(out, 1, 1, 1)`, and ComfyUI's `weight_decompose` reads the output axis from
 * `dora_scale.shape[0] == weight.shape[0]`. Same element order: only the shape changes.
 */
export function doraScaleShape(magnitude: readonly number[]): number[] {
  if (magnitude.length === 1) return [magnitude[0] as number, 1];
  if (magnitude.length === 4 && magnitude[0] === 1) return [magnitude[1] as number, 1, 1, 1];
  return [...magnitude];
}

/**
 * The `lora_magnitude_vector` shape for a module's magnitude: a PEFT / diffusers source already holds
 * PEFT's shape (`(out,)`, `(1, out, 1, 1)`), kept; a kohya `dora_scale` goes through the inverse of
 * {@link doraScaleShape}. Undefined when a kohya scale is per input column (PEFT cannot hold it).
 */
export function peftMagnitudeShape(
  magnitude: readonly number[],
  outFeatures: number,
  sourceFormat: LoraFormat,
): number[] | undefined {
  if (sourceFormat !== 'kohya') {
    const linear = magnitude.length === 1 && magnitude[0] === outFeatures;
    const conv = magnitude.length === 4 && magnitude[0] === 1 && magnitude[1] === outFeatures;
    return linear || (conv && magnitude[2] === 1 && magnitude[3] === 1) ? [...magnitude] : undefined;
  }
  const doraScale = magnitude;
  if (doraScale[0] !== outFeatures || doraScale.slice(1).some((d) => d !== 1)) return undefined;
  if (doraScale.length === 2) return [outFeatures];
  if (doraScale.length === 4) return [1, outFeatures, 1, 1];
  return undefined;
}

/** A tensor copied from `source`, converted to `precision` when it is a float. */
export function plannedTensor(
  name: string,
  source: TensorEntry,
  precision: Precision | undefined,
  shape?: readonly number[],
): PlannedTensor {
  return { name, dtype: outDtype(source, precision), shape: shape ?? source.shape, source };
}

/** SD1.5 UNet modules that are 1x1 convolutions: a transformer's proj_in / proj_out, a resnet's conv_shortcut. */
const CONV_1X1_MODULE = /(?:^|\.)(?:proj_in|proj_out|conv_shortcut)$/;

/**
 * The down / up shapes a module is written with when its file stores an SD1.5 1x1 convolution's LoRA
 * as 2-D (linear-shaped) `[r, in]` / `[out, r]`, as some trainers do: `[r, in, 1, 1]` / `[out, r, 1, 1]`,
 * as the WebUI reshapes them on load (diffusers / PEFT create Conv2d LoRA layers there and refuse 2-D
 * weights with a size mismatch). Same bytes, new shape. Undefined for every other module.
 */
export function conv1x1Shapes(
  module: Pick<LoraModule, 'component' | 'path' | 'known' | 'down' | 'up'>,
): { down: number[]; up: number[] } | undefined {
  const { down, up } = module;
  if (module.component !== 'unet' || !module.known || !CONV_1X1_MODULE.test(module.path)) return undefined;
  if (down.shape.length !== 2 || up.shape.length !== 2) return undefined;
  return { down: [...down.shape, 1, 1], up: [...up.shape, 1, 1] };
}

function mostCommon(values: number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
}

/** Network-level kohya metadata derived from the modules alone (used when no training facts are given). */
export function networkMetadata(model: LoraModel): Record<string, string> {
  const rank = mostCommon(model.modules.map((m) => m.rank));
  const alpha = mostCommon(model.modules.map((m) => Math.fround(m.alpha)));
  return baseNetworkMetadata(networkModuleMetadata(model.modules.some((m) => m.magnitude)), rank, alpha);
}

/** The network metadata of a kohya file without training facts: network module, dim, alpha, SD1.5 modelspec. */
export function baseNetworkMetadata(
  networkModule: Readonly<Record<string, string>>,
  rank: number,
  alpha: number,
): Record<string, string> {
  // kohya writes str() of the float its --network_alpha was (`0.1`): the shortest decimal of the float32 alpha tensor,
  // not its double expansion (0.10000000149011612)
  const alphaText = pythonFloatRepr(shortestFloat32(alpha));
  return {
    ...networkModule,
    ss_network_dim: String(rank),
    ss_network_alpha: alphaText,
    ss_base_model_version: 'sd_v1',
    ss_v2: 'False',
    'modelspec.sai_model_spec': '1.0.1',
    'modelspec.architecture': 'stable-diffusion-v1/lora',
    'modelspec.implementation': 'diffusers',
    'modelspec.prediction_type': 'epsilon',
  };
}

function planKohya(model: LoraModel, options: PlanOptions): PlannedFile[] {
  const tensors: PlannedTensor[] = [];
  for (const m of model.modules) {
    const name = kohyaModuleName(m.component, m.path);
    const conv = conv1x1Shapes(m);
    tensors.push(plannedTensor(`${name}.lora_down.weight`, m.down, options.precision, conv?.down));
    tensors.push(plannedTensor(`${name}.lora_up.weight`, m.up, options.precision, conv?.up));
    // alpha stays float32 whatever the precision: loaders read it with .item(), and fp16 would round it.
    tensors.push({ name: `${name}.alpha`, dtype: 'F32', shape: [], scalar: m.alpha });
    if (m.magnitude)
      tensors.push(
        plannedTensor(
          `${name}.dora_scale`,
          m.magnitude,
          options.precision,
          doraScaleShape(m.magnitude.shape),
        ),
      );
  }
  const metadata =
    options.kohyaMetadata ??
    keptKohyaMetadata(model.format, options.sourceMetadata, () => networkMetadata(model)) ??
    networkMetadata(model);
  return [{ relativePath: '', tensors, metadata, kohyaHashes: true }];
}

/**
 * The metadata a kohya output keeps from its source (before any training facts): a kohya source keeps
 * all of its own; another format's carried ss_* / modelspec.* (a kohya file converted to diffusers or
 * PEFT and back) go over `network()`, the network metadata computed from the modules. Undefined when
 * there is nothing to keep. LoRA and LoKr (lokr-plan.ts) both use it.
 */
export function keptKohyaMetadata(
  sourceFormat: string,
  sourceMetadata: Readonly<Record<string, string>> | undefined,
  network: () => Record<string, string>,
): Record<string, string> | undefined {
  if (sourceFormat === 'kohya') return stripHashes(sourceMetadata);
  const carried = kohyaTrainingMetadata(sourceMetadata);
  return Object.keys(carried).length > 0 ? { ...network(), ...carried } : undefined;
}

/**
 * The kohya metadata for training facts (`built`, from buildKohyaMetadata), only the facts the caller
 * gave (`given`, the facts before schema defaults) written: for a source without kohya training
 * metadata (a training run's adapter) the network keys and those facts, with the other facts its run's
 * `record` holds (convert-facts.ts readRunRecord), the rest absent; for a source
 * with its own ss_* / modelspec.*, those kept ({@link keptKohyaMetadata}) with the given facts laid
 * over them.
 */
export function factsOverFileMetadata(
  built: Record<string, string>,
  given: Readonly<Record<string, unknown>>,
  sourceFormat: string,
  sourceMetadata: Readonly<Record<string, string>>,
  network: () => Record<string, string>,
  record?: Readonly<Record<string, string>>,
): Record<string, string> {
  if (Object.keys(kohyaTrainingMetadata(sourceMetadata)).length === 0) {
    const written = withRecordedFacts(
      onlyGivenFacts(built, givenFacts(given)),
      record ?? {},
      givenFacts(given),
    );
    // a network key that is also a fact (modelspec.prediction_type) neither given nor recorded: the network's
    for (const [key, value] of Object.entries(network())) written[key] ??= value;
    return written;
  }
  const kept = keptKohyaMetadata(sourceFormat, sourceMetadata, network) ?? {};
  return overlayTrainingFacts(kept, built, givenFacts(given));
}

/** Source metadata without kohya's sshs_* hashes (the writer recomputes them); undefined when empty. */
export function stripHashes(
  metadata: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  if (!metadata || Object.keys(metadata).length === 0) return undefined;
  return Object.fromEntries(Object.entries(metadata).filter(([k]) => !k.startsWith('sshs_')));
}

/**
 * The source's kohya training metadata (ss_*, modelspec.*: output name, tag frequency, trigger,
 * training facts), without the sshs_* hashes, which describe the source's bytes. Carried into diffusers
 * and PEFT output, whose loaders read only `lora_adapter_metadata` (diffusers 0.42
 * `_load_sft_state_dict_metadata`) and ignore other keys, so it comes back on a convert to kohya.
 */
export function kohyaTrainingMetadata(
  metadata: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(metadata ?? {}).filter(([k]) => k.startsWith('ss_') || k.startsWith('modelspec.')),
  );
}

/** PEFT-style tensors (lora_A / lora_B / lora_magnitude_vector) of modules under a key prefix. */
function peftStyleTensors(
  modules: readonly LoraModule[],
  prefix: string,
  precision: Precision | undefined,
  file: string,
  sourceFormat: LoraFormat,
  magnitudeSuffix = '',
): PlannedTensor[] {
  const tensors: PlannedTensor[] = [];
  for (const m of modules) {
    const conv = conv1x1Shapes(m);
    tensors.push(plannedTensor(`${prefix}${m.path}.lora_A.weight`, m.down, precision, conv?.down));
    tensors.push(plannedTensor(`${prefix}${m.path}.lora_B.weight`, m.up, precision, conv?.up));
    if (m.magnitude) {
      const shape = peftMagnitudeShape(m.magnitude.shape, m.up.shape[0] as number, sourceFormat);
      if (!shape) {
        const what =
          sourceFormat === 'kohya'
            ? `dora_scale ${JSON.stringify(m.magnitude.shape)} is per input column (LyCORIS wd_on_out=False); PEFT's magnitude is per output row, so it cannot be converted. Convert --to kohya instead.`
            : `lora_magnitude_vector ${JSON.stringify(m.magnitude.shape)} is not PEFT's per-output-row shape ([${m.up.shape[0]}] or [1, ${m.up.shape[0]}, 1, 1]) for lora_B ${JSON.stringify(m.up.shape)}. The file is damaged or not a PEFT DoRA adapter.`;
        // `dora`: what the server's download words its refusal by (artifacts/index.ts), not this CLI text
        const dora = sourceFormat === 'kohya' ? { dora: 'input-columns' } : {};
        throw new ToonloraError('TL_ERR_LORA_FORMAT', `${file}: module "${m.path}": ${what}`, {
          details: { file, module: m.path, ...dora },
        });
      }
      tensors.push(
        plannedTensor(
          `${prefix}${m.path}.lora_magnitude_vector${magnitudeSuffix}`,
          m.magnitude,
          precision,
          shape,
        ),
      );
    }
  }
  return tensors;
}

/**
 * The adapter config of one component's modules, its target_modules and patterns named as PEFT
 * matches them on either transformers version ({@link peftTargetPath}).
 */
function componentPeftConfig(
  component: LoraComponent,
  modules: readonly LoraModule[],
  baseModel: string | undefined,
): Record<string, unknown> {
  return buildPeftConfig(
    modules.map((m) => ({ path: peftTargetPath(component, m.path), rank: m.rank, alpha: m.alpha })),
    { useDora: modules.some((m) => m.magnitude), baseModel },
  );
}

function byComponent(model: LoraModel): Map<LoraComponent, LoraModule[]> {
  const groups = new Map<LoraComponent, LoraModule[]>();
  for (const m of model.modules) {
    if (!groups.has(m.component)) groups.set(m.component, []);
    groups.get(m.component)?.push(m);
  }
  return groups;
}

/**
 * Where a PEFT folder holds a component's adapter: the UNet's at the root and the text encoder's in
 * `text_encoder/` (what `train` writes), but an adapter of the text encoder alone at the root, as PEFT
 * saves a text-encoder PeftModel (its `text_model.` keys name the component): a folder with only a
 * `text_encoder/` has no main adapter, and neither toonlora nor PeftModel.from_pretrained reads it.
 * The root file also carries the kohya metadata. LoRA and LoKr (lokr-plan.ts) both use it.
 */
export function peftWeightsPath(component: LoraComponent, hasUnet: boolean): string {
  return component === 'text_encoder' && hasUnet
    ? 'text_encoder/adapter_model.safetensors'
    : 'adapter_model.safetensors';
}

function planPeft(model: LoraModel, options: PlanOptions, file: string): PlannedFile[] {
  const files: PlannedFile[] = [];
  const groups = byComponent(model);
  for (const [component, modules] of groups) {
    const relativePath = peftWeightsPath(component, groups.has('unet'));
    files.push({
      relativePath,
      tensors: peftStyleTensors(modules, 'base_model.model.', options.precision, file, model.format),
      // kohya's metadata rides in the folder's main file (the root one).
      metadata: {
        format: 'pt',
        ...(relativePath.startsWith('text_encoder/') ? {} : kohyaTrainingMetadata(options.sourceMetadata)),
      },
      adapterConfig: componentPeftConfig(component, modules, options.baseModel),
      kohyaHashes: false,
    });
  }
  return files;
}

function planDiffusers(model: LoraModel, options: PlanOptions, file: string): PlannedFile[] {
  const tensors: PlannedTensor[] = [];
  const adapterMetadata: Record<string, unknown> = {};
  for (const [component, modules] of byComponent(model)) {
    // A text-encoder magnitude keeps `.weight`: transformers 5's load_adapter maps `lora_magnitude_vector` to
    // `lora_magnitude_vector.<adapter>` without it (measured: "UNEXPECTED" key, DoRA not applied), while
    // PEFT's set_peft_model_state_dict (UNet, and transformers 4) accepts both spellings.
    const suffix = component === 'text_encoder' ? '.weight' : '';
    tensors.push(
      ...peftStyleTensors(modules, `${component}.`, options.precision, file, model.format, suffix),
    );
    const config = componentPeftConfig(component, modules, options.baseModel);
    // diffusers `_pack_dict_with_prefix`: `unet.r`, `unet.lora_alpha`, ... in `lora_adapter_metadata`.
    for (const [key, value] of Object.entries(config)) adapterMetadata[`${component}.${key}`] = value;
  }
  const sorted = Object.fromEntries(Object.entries(adapterMetadata).sort(([a], [b]) => (a < b ? -1 : 1)));
  return [
    {
      relativePath: '',
      tensors,
      metadata: {
        format: 'pt',
        ...kohyaTrainingMetadata(options.sourceMetadata),
        lora_adapter_metadata: JSON.stringify(sorted, null, 2),
      },
      kohyaHashes: false,
    },
  ];
}

/**
 * Plans the output files of converting `model` to `options.to`.
 * @throws TL_ERR_LORA_FORMAT when a DoRA scale cannot be expressed in the target format.
 */
export function planConversion(model: LoraModel, options: PlanOptions, file: string): PlannedFile[] {
  if (options.to === 'kohya') return planKohya(model, options);
  if (options.to === 'peft') return planPeft(model, options, file);
  return planDiffusers(model, options, file);
}

// src/lora/convert-lokr.ts — the LoKr half of `convertLora`: refuses what cannot be written (diffusers
// output, LoRA + LoKr in one file, unknown keys unless dropped), builds the kohya metadata, plans the
// output (lokr-plan.ts) and computes the baked factors. LoKr files are small (a few MB), so a factor
// that needs PEFT's scale baked in is read whole, scaled in float32 and held in memory; every other
// tensor streams through convert.ts like a LoRA's.
import { basename } from 'node:path';
import { ToonloraError } from '../errors.js';
import { factsOverFileMetadata, type PlannedFile, type PlannedTensor } from './convert-plan.js';
import {
  type ConversionStats,
  convertFloatBytes,
  type FloatDtype,
  isFloatDtype,
  type Precision,
} from './float-convert.js';
import { buildKohyaMetadata, type LoraTrainingFacts } from './kohya-metadata.js';
import type { LokrModel } from './lokr.js';
import { mixedLokrError } from './lokr-assemble.js';
import {
  lokrDiffusersError,
  lokrNetworkFacts,
  lokrNetworkMetadata,
  type PlannedLokrFile,
  planLokrConversion,
} from './lokr-plan.js';
import { hasNonFinite } from './non-finite.js';
import type { OpenedLokr } from './open-adapter.js';
import type { SafetensorsReader } from './safetensors-read.js';
import { dropUnknownLokr, withoutUnknownKeys } from './unknown-keys.js';

export interface LokrConvertRequest {
  readonly to: 'kohya' | 'diffusers' | 'peft';
  readonly precision?: Precision;
  readonly dropUnknown: boolean;
  /** Validated training facts: kohya metadata is written from them (kohya output only). */
  readonly facts?: LoraTrainingFacts;
  /** The facts as the caller gave them (before schema defaults): all a file with its own metadata takes. */
  readonly factsGiven?: Readonly<Record<string, unknown>>;
  /** The run's own kohya metadata (convert-facts.ts readRunRecord): facts the given ones lack come from it. */
  readonly record?: Readonly<Record<string, string>>;
  /** ISO date for modelspec.date. */
  readonly nowIso: string;
  /** The metadata diffusers / PEFT output carries (a run folder's record beside the file's own); defaults to the file's. */
  readonly sourceMetadata?: Readonly<Record<string, string>>;
  readonly baseModel?: string;
  /** How errors name the input (a PEFT folder as the user gave it); defaults to the weights file's name. */
  readonly fileLabel?: string;
}

export interface PreparedConversion {
  readonly format: string;
  readonly plans: PlannedFile[];
  readonly modules: number;
  readonly warnings: string[];
}

/** Overflow counts, and the source tensors found holding NaN / ±Inf (baked factors are read here). */
export type LokrConvertStats = ConversionStats & { readonly nonFinite?: string[] };

/** The model convert writes: refuses mixed LoRA + LoKr files, and unknown keys unless `drop`. */
function usableLokrModel(
  model: LokrModel,
  file: string,
  drop: boolean,
): { model: LokrModel; warnings: string[] } {
  if (model.loraKeys.length > 0) throw mixedLokrError(file, model.loraKeys);
  return withoutUnknownKeys(model, file, drop, dropUnknownLokr);
}

/**
 * `source`'s values times `scale`, rounded to float32 (torch's fp32 `w1 * scale`), then written as
 * `dtype`; overflow to ±Inf is counted in `stats`.
 */
export function scaleFloatBytes(
  bytes: Uint8Array,
  from: FloatDtype,
  dtype: FloatDtype,
  scale: number,
  stats: ConversionStats,
): Uint8Array {
  const f32 = convertFloatBytes(bytes, from, 'F32');
  const aligned = f32.byteOffset % 4 === 0 ? f32 : f32.slice();
  const values = new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  const factor = Math.fround(scale);
  const out = new Float32Array(values.length);
  let overflowed = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    out[i] = value * factor;
    if (!Number.isFinite(out[i] as number) && Number.isFinite(value)) overflowed++;
  }
  stats.overflowed += overflowed;
  return convertFloatBytes(new Uint8Array(out.buffer), 'F32', dtype, undefined, stats);
}

/** Replaces the planned tensors that need a scale baked in by their computed bytes. */
async function bakeFactors(
  plans: PlannedLokrFile[],
  reader: SafetensorsReader,
  file: string,
  stats: LokrConvertStats,
): Promise<PlannedFile[]> {
  const baked: PlannedFile[] = [];
  for (const plan of plans) {
    const tensors: PlannedTensor[] = [];
    for (const { scaleBy, ...tensor } of plan.tensors) {
      const { source } = tensor;
      if (scaleBy === undefined || !source) {
        tensors.push(tensor);
        continue;
      }
      if (!isFloatDtype(source.dtype) || !isFloatDtype(tensor.dtype)) {
        throw new ToonloraError(
          'TL_ERR_LORA_FORMAT',
          `${file}: tensor "${source.name}" is ${source.dtype}, not a float; its scale cannot be applied.`,
          { details: { file, tensor: source.name } },
        );
      }
      const values = await reader.readTensor(source);
      if (hasNonFinite(values, source.dtype)) stats.nonFinite?.push(source.name);
      const bytes = scaleFloatBytes(values, source.dtype, tensor.dtype, scaleBy, stats);
      tensors.push({ name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, bytes });
    }
    baked.push({ ...plan, tensors });
  }
  return baked;
}

/**
 * What convert writes for an opened LoKr adapter.
 * @throws TL_ERR_LORA_FORMAT (diffusers output, mixed LoRA + LoKr, unknown keys without
 *   dropUnknown, factors PEFT cannot re-create).
 */
export async function prepareLokrConversion(
  opened: OpenedLokr,
  request: LokrConvertRequest,
  stats: LokrConvertStats,
): Promise<PreparedConversion> {
  const { reader } = opened;
  const file = request.fileLabel ?? basename(reader.path);
  if (request.to === 'diffusers') throw lokrDiffusersError(file);
  const usable = usableLokrModel(opened.model, file, request.dropUnknown);
  const { model } = usable;
  let kohyaMetadata: Record<string, string> | undefined;
  if (request.to === 'kohya' && request.facts) {
    const source = reader.header.metadata;
    const network = lokrNetworkFacts(model, source);
    const built = buildKohyaMetadata(
      request.facts,
      {
        rank: network.rank,
        alpha: network.alpha,
        dora: false,
        textEncoder: model.modules.some((m) => m.component === 'text_encoder'),
        unet: model.modules.some((m) => m.component === 'unet'),
        algorithm: 'lokr',
        ...(network.factor === undefined ? {} : { lokrFactor: network.factor }),
      },
      request.nowIso,
    );
    kohyaMetadata = factsOverFileMetadata(
      built,
      request.factsGiven ?? request.facts,
      model.format,
      source,
      () => lokrNetworkMetadata(model, source),
      request.record,
    );
  }
  const plans = planLokrConversion(
    model,
    {
      to: request.to,
      ...(request.precision ? { precision: request.precision } : {}),
      ...(kohyaMetadata ? { kohyaMetadata } : {}),
      sourceMetadata: request.sourceMetadata ?? reader.header.metadata,
      ...(request.baseModel ? { baseModel: request.baseModel } : {}),
    },
    file,
  );
  return {
    format: model.format,
    plans: await bakeFactors(plans, reader, file, stats),
    modules: model.modules.length,
    warnings: [...model.warnings, ...usable.warnings],
  };
}

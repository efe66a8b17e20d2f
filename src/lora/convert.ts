// src/lora/convert.ts — `convertLora`: PEFT / diffusers / kohya in, kohya / diffusers / PEFT out, with
// alpha kept per module, optional fp16 / bf16 / fp32 precision and kohya metadata. LoKr adapters
// (kohya / LyCORIS <-> PEFT) go through convert-lokr.ts and are written the same way. Streams tensors
// (no whole-file read); the CLI, the trainer helper and the server call this one function.
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { ToonloraError } from '../errors.js';
import {
  type ConversionStats,
  convertFloatBytes,
  type FloatDtype,
  floatWidth,
  isFloatDtype,
} from './float-convert.js';
import { buildKohyaMetadata, type LoraTrainingFactsInput } from './kohya-metadata.js';
import { givenTrainingFacts, parseTrainingFacts, readRunRecord } from './convert-facts.js';
import { type PreparedConversion, prepareLokrConversion } from './convert-lokr.js';
import {
  factsOverFileMetadata,
  type PlannedFile,
  type PlannedTensor,
  planConversion,
  networkMetadata,
} from './convert-plan.js';
import {
  DIFFUSERS_KOHYA_ALPHA_NOTE,
  diffusersLostTextEncoderModules,
  diffusersLostTextEncoderNote,
  diffusersMisreadsAlphas,
} from './loader-compat.js';
import { nonFiniteScanner, nonFiniteWarning } from './non-finite.js';
import { openAdapter } from './open-adapter.js';
import { type SafetensorsReader, STREAM_CHUNK_BYTES } from './safetensors-read.js';
import { assertWritable, type TensorSource, writeSafetensors } from './safetensors-write.js';
import { DTYPE_BYTES } from './safetensors-format.js';
import { assertOutputPath, assertReplaceableAdapterFolder } from './output-checks.js';
import { assertNotSdxl } from './sdxl-check.js';
import { dropUnknown, withoutUnknownKeys } from './unknown-keys.js';
import type { LoraModel } from './lora-model.js';

export const convertOptionsSchema = z.object({
  /** A .safetensors file or a PEFT adapter folder. */
  input: z.string().min(1),
  /** Output file (kohya, diffusers) or folder (peft). */
  output: z.string().min(1),
  to: z.enum(['kohya', 'diffusers', 'peft']).default('kohya'),
  /** Float dtype of the written tensors; left out, each tensor keeps its dtype. */
  precision: z.enum(['fp32', 'fp16', 'bf16']).optional(),
  overwrite: z.boolean().default(false),
  /** Drop tensors outside the LoRA grammar (and modules that need them) instead of refusing. */
  dropUnknown: z.boolean().default(false),
});

export type ConvertOptions = z.input<typeof convertOptionsSchema> & {
  /** Training facts for kohya metadata (ss_*, modelspec.*); validated by `loraTrainingFactsSchema`. */
  trainingFacts?: LoraTrainingFactsInput;
  /** Clock for modelspec.date (ISO string); defaults to now. */
  now?: () => Date;
  /** Metadata added to every written .safetensors (e.g. generate's copies name their original). */
  extraMetadata?: Readonly<Record<string, string>>;
};

export interface ConvertResult {
  readonly input: string;
  readonly from: string;
  readonly to: 'kohya' | 'diffusers' | 'peft';
  readonly files: ReadonlyArray<{ path: string; bytes: number; tensors: number; sha256: string }>;
  /** The adapter kind: LoRA, or LyCORIS LoKr (Kronecker product). */
  readonly algorithm: 'lora' | 'lokr';
  readonly modules: number;
  readonly warnings: readonly string[];
}

/** What the conversion saw in the values: fp16 / bf16 overflow, and the source tensors holding NaN / ±Inf. */
interface ConvertStats extends ConversionStats {
  readonly nonFinite: string[];
}

/**
 * Byte sources for planned tensors, in write order. All source reads go through one read-ahead
 * stream (`streamTensors`), so reads of the next tensors overlap the writes of this one.
 */
function tensorSources(
  planned: readonly PlannedTensor[],
  reader: SafetensorsReader,
  stats: ConvertStats,
): { sources: TensorSource[]; release: (chunk: Uint8Array) => void } {
  const fromFile = planned.flatMap((t) => (t.source ? [t.source] : []));
  const stream = reader.streamTensors(fromFile);
  // Converted chunks come from a pool too (returned through `release` once written): capacity for
  // the largest output of one slab (F16 -> F32 doubles it) plus a carried partial element.
  const converted = new Set<ArrayBufferLike>();
  const freeOut: ArrayBuffer[] = [];
  const outCapacity = 2 * STREAM_CHUNK_BYTES + 16;
  const release = (chunk: Uint8Array) => {
    if (converted.delete(chunk.buffer)) freeOut.push(chunk.buffer as ArrayBuffer);
    else stream.release(chunk);
  };
  const sources = planned.map(({ name, dtype, shape, source, scalar, bytes: held }): TensorSource => {
    if (scalar !== undefined) {
      const bytes = new Uint8Array(new Float32Array([scalar]).buffer);
      return { name, dtype, shape, chunks: () => [bytes] };
    }
    if (held) return { name, dtype, shape, chunks: () => [held] };
    if (!source) throw new TypeError(`planned tensor "${name}" has no source`);
    const convert = source.dtype !== dtype && isFloatDtype(source.dtype) && isFloatDtype(dtype);
    return {
      name,
      dtype,
      shape,
      chunks: async function* () {
        // The shared stream yields this tensor's chunks next: take exactly its byte count. Chunk
        // edges may split an element, so conversion carries the split bytes into the next chunk.
        const width = convert ? floatWidth(source.dtype as FloatDtype) : 1;
        const scan = nonFiniteScanner(source.dtype);
        let carry: Uint8Array | undefined;
        for (let taken = 0; taken < source.end - source.begin; ) {
          const { value, done } = await stream.chunks.next();
          if (done) throw new TypeError(`tensor "${name}": read stream ended early`);
          taken += value.byteLength;
          scan.push(value);
          if (scan.found && taken >= source.end - source.begin) stats.nonFinite.push(source.name);
          if (!convert) {
            yield value;
            continue;
          }
          const bytes = carry ? Buffer.concat([carry, value]) : value;
          const whole = bytes.byteLength - (bytes.byteLength % width);
          carry = whole < bytes.byteLength ? bytes.slice(whole) : undefined;
          let out: Uint8Array | undefined;
          if (whole > 0) {
            const buffer = freeOut.pop() ?? new ArrayBuffer(outCapacity);
            out = convertFloatBytes(
              bytes.subarray(0, whole),
              source.dtype as FloatDtype,
              dtype as FloatDtype,
              buffer,
              stats,
            );
            converted.add(out.buffer);
          }
          stream.release(value); // converted and carried bytes are copies: the slab can be reused
          if (out) yield out;
        }
      },
    };
  });
  return { sources, release };
}

/**
 * Output order: wider dtypes first (alignment, as Python safetensors), then by position in the
 * source (the reader's tensor list: file order, one file after the other for a combined reader),
 * then by name. Deterministic for a given input, and it turns the copy into one sequential read of
 * each source file (large slabs, see planSlabs).
 */
function writeOrder(tensors: readonly PlannedTensor[], reader: SafetensorsReader): PlannedTensor[] {
  const position = new Map(reader.header.tensors.map((t, i) => [t, i]));
  const at = (t: PlannedTensor) => (t.source ? (position.get(t.source) ?? -1) : -1);
  return [...tensors].sort(
    (a, b) =>
      DTYPE_BYTES[b.dtype] - DTYPE_BYTES[a.dtype] ||
      at(a) - at(b) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

async function writePlannedFile(
  plan: PlannedFile,
  path: string,
  reader: SafetensorsReader,
  overwrite: boolean,
  stats: ConvertStats,
) {
  const { sources, release } = tensorSources(writeOrder(plan.tensors, reader), reader, stats);
  return writeSafetensors(path, sources, plan.metadata, {
    overwrite,
    kohyaHashes: plan.kohyaHashes,
    onChunkWritten: release,
  });
}

/** PEFT output goes into a folder: written to a temp folder, then renamed into place. */
async function writePeftFolder(
  plans: PlannedFile[],
  output: string,
  reader: SafetensorsReader,
  overwrite: boolean,
  stats: ConvertStats,
) {
  await assertWritable(output, overwrite);
  if (overwrite) await assertReplaceableAdapterFolder(output);
  const temp = join(dirname(output), `.${basename(output)}.${process.pid}.${Date.now()}.part`);
  await mkdir(temp, { recursive: true });
  try {
    const files = [];
    for (const plan of plans) {
      const path = join(temp, plan.relativePath);
      await mkdir(dirname(path), { recursive: true });
      const written = await writePlannedFile(plan, path, reader, false, stats);
      await writeFile(
        join(dirname(path), 'adapter_config.json'),
        `${JSON.stringify(plan.adapterConfig, null, 2)}\n`,
      );
      files.push({
        path: join(output, plan.relativePath),
        bytes: written.bytes,
        tensors: plan.tensors.length,
        sha256: written.dataSha256,
      });
    }
    await assertWritable(output, overwrite);
    if (overwrite) {
      await assertReplaceableAdapterFolder(output);
      await rm(output, { recursive: true, force: true });
    }
    await rename(temp, output);
    return files;
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}

/** The LoKr request's facts (kohya output only), and the run's record they are laid over. */
function lokrFacts(
  options: ConvertOptions,
  to: ConvertResult['to'],
  sourceMetadata: Readonly<Record<string, string>>,
  record: Readonly<Record<string, string>> | undefined,
) {
  const given = givenTrainingFacts(options.trainingFacts, options.output, record ?? sourceMetadata);
  const facts = to === 'kohya' ? parseTrainingFacts(given) : undefined;
  return facts && given ? { facts, factsGiven: given, ...(record ? { record } : {}) } : {};
}

const nowIso = (options: ConvertOptions) => (options.now ?? (() => new Date()))().toISOString();

/**
 * The kohya metadata for `--metadata-from` facts: only the facts given are written (never a schema
 * default the run may not have had); a source without kohya metadata (a training run's adapter) gets
 * them beside the network's keys, with the facts its run's record (`record`) has and the given file
 * lacks; a source that has its own ss_* / modelspec.* keeps them, with the facts given laid over them.
 */
function kohyaMetadataFor(
  options: ConvertOptions,
  model: LoraModel,
  sourceMetadata: Readonly<Record<string, string>>,
  record: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  const given = givenTrainingFacts(options.trainingFacts, options.output, record ?? sourceMetadata);
  const facts = parseTrainingFacts(given);
  if (!facts || !given) return undefined;
  const network = networkMetadata(model);
  const built = buildKohyaMetadata(
    facts,
    {
      rank: Number(network.ss_network_dim),
      alpha: Number(network.ss_network_alpha),
      dora: model.modules.some((m) => m.magnitude),
      textEncoder: model.modules.some((m) => m.component === 'text_encoder'),
    },
    nowIso(options),
  );
  return factsOverFileMetadata(built, given, model.format, sourceMetadata, () => network, record);
}

/** Warnings about what the options did not do: values that overflowed, training facts not written. */
function optionWarnings(
  options: ConvertOptions,
  to: ConvertResult['to'],
  precision: string | undefined,
  stats: ConvertStats,
): string[] {
  const warnings: string[] = [];
  if (stats.nonFinite.length > 0) warnings.push(nonFiniteWarning([...new Set(stats.nonFinite)]));
  if (stats.overflowed > 0) {
    const instead = precision === 'fp16' ? 'bf16 or fp32' : 'fp32';
    warnings.push(
      `${stats.overflowed} value(s) overflowed to ±Inf in ${precision}; use ${instead} (--precision) to keep them.`,
    );
  }
  if (options.trainingFacts && to !== 'kohya') {
    warnings.push(
      `--metadata-from: kohya metadata (ss_*, modelspec.*) is only written with --to kohya; for --to ${to} it was ignored${to === 'peft' ? ' (except baseModel, in adapter_config.json)' : ''}.`,
    );
  }
  return warnings;
}

/** What convert writes for an opened LoRA (the LoKr counterpart is prepareLokrConversion). */
function prepareLoraConversion(
  opened: { reader: SafetensorsReader; model: LoraModel },
  options: ConvertOptions,
  data: z.output<typeof convertOptionsSchema>,
  file: string,
  record: Readonly<Record<string, string>> | undefined,
): PreparedConversion & { model: LoraModel } {
  const { reader } = opened;
  const { to, precision } = data;
  const usable = withoutUnknownKeys(opened.model, file, data.dropUnknown, dropUnknown);
  const model = usable.model;
  const kohyaMetadata =
    to === 'kohya' ? kohyaMetadataFor(options, model, reader.header.metadata, record) : undefined;
  const plans = planConversion(
    model,
    {
      to,
      ...(precision ? { precision } : {}),
      ...(kohyaMetadata ? { kohyaMetadata } : {}),
      sourceMetadata: reader.header.metadata,
      ...(options.trainingFacts?.baseModel ? { baseModel: options.trainingFacts.baseModel } : {}),
    },
    file,
  );
  return {
    format: model.format,
    plans,
    modules: model.modules.length,
    warnings: [...model.warnings, ...usable.warnings],
    model,
  };
}

/**
 * Converts a LoRA (or a LyCORIS LoKr) between formats, keeping every module's alpha (scale = alpha /
 * rank; LoKr: the scale PEFT / the loaders apply). LoKr has no diffusers format.
 * @throws TL_ERR_INPUT_NOT_FOUND, TL_ERR_OUTPUT_EXISTS (without overwrite, or a folder holding
 *   other files), TL_ERR_SAFETENSORS, TL_ERR_LORA_FORMAT (also for unknown keys without
 *   dropUnknown, LoKr to diffusers, LoRA + LoKr in one file, an SDXL file), TL_ERR_USAGE (bad options, output
 *   folder missing, training facts).
 */
export async function convertLora(options: ConvertOptions): Promise<ConvertResult> {
  const parsed = convertOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ToonloraError('TL_ERR_USAGE', `convert: ${issue?.path.join('.')}: ${issue?.message}.`, {
      details: { field: issue?.path.join('.') },
    });
  }
  const { input, output, to, precision, overwrite } = parsed.data;
  // The path's kind first: an existing folder as a file output is no "--overwrite" case.
  await assertOutputPath(output, to === 'peft' ? 'folder' : 'file');
  await assertWritable(output, overwrite);
  if (to === 'peft' && overwrite) await assertReplaceableAdapterFolder(output);
  const opened = await openAdapter(input);
  try {
    const { reader } = opened;
    // Errors name a PEFT folder as the user gave it, not its adapter_model.safetensors.
    const file = (await stat(input)).isDirectory() ? input : basename(reader.path);
    // An SDXL file is refused by name, --drop-unknown or not: what is left of it is no SD1.5 LoRA.
    assertNotSdxl(
      reader.header.tensors.map((t) => t.name),
      reader.header.metadata,
      file,
    );
    const stats: ConvertStats = { overflowed: 0, nonFinite: [] };
    const runRecord =
      options.trainingFacts && to === 'kohya' ? await readRunRecord(input, reader.header.metadata) : {};
    let prepared: PreparedConversion;
    let loraModules: LoraModel['modules'] = [];
    if (opened.algorithm === 'lokr') {
      prepared = await prepareLokrConversion(
        opened,
        {
          to,
          ...(precision ? { precision } : {}),
          dropUnknown: parsed.data.dropUnknown,
          ...lokrFacts(options, to, reader.header.metadata, runRecord.metadata),
          nowIso: nowIso(options),
          fileLabel: file,
          ...(options.trainingFacts?.baseModel ? { baseModel: options.trainingFacts.baseModel } : {}),
        },
        stats,
      );
    } else {
      const lora = prepareLoraConversion(opened, options, parsed.data, file, runRecord.metadata);
      prepared = lora;
      loraModules = lora.model.modules;
    }
    const plans = options.extraMetadata
      ? prepared.plans.map((plan) => ({ ...plan, metadata: { ...plan.metadata, ...options.extraMetadata } }))
      : prepared.plans;
    let files: ConvertResult['files'];
    if (to === 'peft') {
      files = await writePeftFolder(plans, output, reader, overwrite, stats);
    } else {
      const plan = plans[0] as PlannedFile;
      const written = await writePlannedFile(plan, output, reader, overwrite, stats);
      files = [
        { path: output, bytes: written.bytes, tensors: plan.tensors.length, sha256: written.dataSha256 },
      ];
    }
    const warnings = [
      ...prepared.warnings,
      ...optionWarnings(options, to, precision, stats),
      ...(runRecord.warning ? [runRecord.warning] : []),
    ];
    if (diffusersMisreadsAlphas(to, loraModules)) {
      warnings.push(DIFFUSERS_KOHYA_ALPHA_NOTE);
    }
    // a text-encoder LoRA on q/k/v without out_proj: the WebUI and ComfyUI load the kohya file, diffusers does not
    const lost =
      to === 'kohya'
        ? diffusersLostTextEncoderModules(plans[0]?.tensors.map((t) => t.name) ?? [])
        : undefined;
    if (lost) warnings.push(diffusersLostTextEncoderNote(lost));
    return {
      input,
      from: prepared.format,
      to,
      algorithm: opened.algorithm,
      files,
      modules: prepared.modules,
      warnings,
    };
  } finally {
    await opened.reader.close();
  }
}

// src/lora/convert.ts — `convertLora`: PEFT / diffusers / kohya in, kohya / diffusers / PEFT out, with
// alpha kept per module, optional fp16 / bf16 / fp32 precision and kohya metadata. LoKr adapters
// (kohya / LyCORIS <-> PEFT) go through convert-lokr.ts and are written the same way (convert-write.ts
// streams tensors, no whole-file read); the CLI, the trainer helper and the server call this one function.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { z } from 'zod';
import { ToonloraError } from '../errors.js';
import { givenTrainingFacts, parseTrainingFacts, readRunRecord } from './convert-facts.js';
import { type PreparedConversion, prepareLokrConversion } from './convert-lokr.js';
import { factsOverFileMetadata, type PlannedFile, planConversion, networkMetadata } from './convert-plan.js';
import { type ConvertStats, writePeftFolder, writePlannedFile } from './convert-write.js';
import { buildKohyaMetadata, type LoraTrainingFactsInput } from './kohya-metadata.js';
import {
  DIFFUSERS_KOHYA_ALPHA_NOTE,
  diffusersLostTextEncoderModules,
  diffusersLostTextEncoderNote,
  diffusersMisreadsAlphas,
} from './loader-compat.js';
import type { LoraModel } from './lora-model.js';
import { nonFiniteWarning } from './non-finite.js';
import { openAdapter } from './open-adapter.js';
import {
  assertOutputPath,
  assertReplaceableAdapterFolder,
  makeOutputParent,
  removeMadeFolders,
} from './output-checks.js';
import type { SafetensorsReader } from './safetensors-read.js';
import { assertWritable } from './safetensors-write.js';
import { assertNotSdxl } from './sdxl-check.js';
import { dropUnknown, withoutUnknownKeys } from './unknown-keys.js';

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
  /** Make -o's missing parent folders (the CLI's convert); removed again when the conversion fails. */
  createOutputFolder?: boolean;
};

export interface ConvertResult {
  readonly input: string;
  readonly from: string;
  readonly to: 'kohya' | 'diffusers' | 'peft';
  /**
   * Each file written: `sha256` is the file's own (what `sha256sum` prints), `tensorDataSha256` that of its tensor
   * data section alone (kohya's `sshs_model_hash` convention, which the WebUI shows). A PEFT folder lists each
   * `adapter_model.safetensors` and, after it, its `adapter_config.json` (no tensors: `tensorDataSha256` null).
   */
  readonly files: ReadonlyArray<{
    path: string;
    bytes: number;
    tensors: number;
    sha256: string;
    tensorDataSha256: string | null;
  }>;
  /** The adapter kind: LoRA, or LyCORIS LoKr (Kronecker product). */
  readonly algorithm: 'lora' | 'lokr';
  readonly modules: number;
  readonly warnings: readonly string[];
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

/**
 * The options with a run folder's record as training facts: a kohya output with no facts given is
 * written as with an empty `--metadata-from` file, every fact taken from the record.
 */
function withRecordFacts(
  options: ConvertOptions,
  to: ConvertResult['to'],
  record: Readonly<Record<string, string>> | undefined,
): ConvertOptions {
  return record && to === 'kohya' && !options.trainingFacts ? { ...options, trainingFacts: {} } : options;
}

/**
 * The source metadata output carries: a run folder's adapter has no ss_* / modelspec.* of its own, so
 * diffusers and PEFT output carry its record's (a kohya output has the record as its facts: withRecordFacts).
 */
function carriedSourceMetadata(
  source: Readonly<Record<string, string>>,
  record: Readonly<Record<string, string>> | undefined,
  to: ConvertResult['to'],
): Readonly<Record<string, string>> {
  return record && to !== 'kohya' ? { ...record, ...source } : source;
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
      unet: model.modules.some((m) => m.component === 'unet'),
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
  metadata: {
    source: Readonly<Record<string, string>>;
    record: Readonly<Record<string, string>> | undefined;
  },
): PreparedConversion & { model: LoraModel } {
  const { to, precision } = data;
  const usable = withoutUnknownKeys(opened.model, file, data.dropUnknown, dropUnknown);
  const model = usable.model;
  const kohyaMetadata =
    to === 'kohya' ? kohyaMetadataFor(options, model, metadata.source, metadata.record) : undefined;
  const plans = planConversion(
    model,
    {
      to,
      ...(precision ? { precision } : {}),
      ...(kohyaMetadata ? { kohyaMetadata } : {}),
      sourceMetadata: metadata.source,
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

/** The flag each option comes from, for its usage error (the CLI prefixes `toonlora convert:` itself). */
const OPTION_FLAGS: Readonly<Record<string, string>> = {
  to: '--to',
  precision: '--precision',
  output: '-o',
  input: '<input>',
};

/**
 * A bad option's usage error: its flag, what was expected and what arrived, e.g. `--to: expected one of "kohya"|
 * "diffusers"|"peft", got "foo".` (before: `convert: to: Invalid option: …`, after the CLI's own `convert:`). Pure.
 */
export function optionIssueMessage(
  field: string,
  zodMessage: string,
  options: Readonly<Record<string, unknown>>,
): string {
  const flag = OPTION_FLAGS[field] ?? field;
  const expected = zodMessage.replace(/^Invalid (option|input): /, '');
  const value = options[field];
  return `${flag}: ${expected}${value === undefined ? '' : `, got ${JSON.stringify(value)}`}.`;
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
    const field = issue?.path.join('.') ?? '';
    throw new ToonloraError('TL_ERR_USAGE', optionIssueMessage(field, issue?.message ?? 'invalid', options), {
      details: { field },
    });
  }
  if (!options.createOutputFolder) return convertParsed(parsed.data, options);
  const made = await makeOutputParent(parsed.data.output);
  try {
    return await convertParsed(parsed.data, options);
  } catch (error) {
    await removeMadeFolders(made);
    throw error;
  }
}

async function convertParsed(
  data: z.output<typeof convertOptionsSchema>,
  options: ConvertOptions,
): Promise<ConvertResult> {
  const { input, output, to, precision, overwrite } = data;
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
    // A run folder's record (trigger, tags, steps) comes along with or without --metadata-from.
    const runRecord = await readRunRecord(input, reader.header.metadata);
    const withFacts = withRecordFacts(options, to, runRecord.metadata);
    const sourceMetadata = carriedSourceMetadata(reader.header.metadata, runRecord.metadata, to);
    let prepared: PreparedConversion;
    let loraModules: LoraModel['modules'] = [];
    if (opened.algorithm === 'lokr') {
      prepared = await prepareLokrConversion(
        opened,
        {
          to,
          ...(precision ? { precision } : {}),
          dropUnknown: data.dropUnknown,
          ...lokrFacts(withFacts, to, reader.header.metadata, runRecord.metadata),
          sourceMetadata,
          nowIso: nowIso(options),
          fileLabel: file,
          ...(options.trainingFacts?.baseModel ? { baseModel: options.trainingFacts.baseModel } : {}),
        },
        stats,
      );
    } else {
      const lora = prepareLoraConversion(opened, withFacts, data, file, {
        source: sourceMetadata,
        record: runRecord.metadata,
      });
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
        {
          path: output,
          bytes: written.bytes,
          tensors: plan.tensors.length,
          sha256: written.fileSha256,
          tensorDataSha256: written.dataSha256,
        },
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

// src/lora/inspect.ts — `inspectLora`: what a LoRA file is (format, rank / alpha / scale per module,
// modules per block, dtypes, size, metadata, trigger and top tags) and whether AUTOMATIC1111, ComfyUI
// and diffusers map every key. Reads only the header and the alpha scalars.
import {
  checkLoaderCompatibility,
  DIFFUSERS_KOHYA_ALPHA_NOTE,
  diffusersMisreadsAlphas,
  type LoaderVerdict,
} from './loader-compat.js';
import { kohyaModuleName } from './lora-keys.js';
import type { LoraModel } from './lora-model.js';
import { NO_LORA_KEYS, openLora } from './open-lora.js';
import { blockOf } from './sd15-modules.js';
import { topTags } from './kohya-metadata.js';
import { describeUnknownKey } from './unknown-keys.js';

export interface InspectModule {
  readonly name: string;
  readonly component: string;
  readonly path: string;
  readonly rank: number;
  readonly alpha: number;
  readonly alphaSource: string;
  /** alpha / rank: the strength a loader applies at weight 1. */
  readonly scale: number;
  readonly dora: boolean;
  readonly sd15: boolean;
}

export interface InspectResult {
  readonly file: string;
  readonly format: string;
  readonly sizeBytes: number;
  readonly tensorCount: number;
  readonly dtypes: Readonly<Record<string, number>>;
  readonly modules: readonly InspectModule[];
  readonly modulesPerBlock: Readonly<Record<string, number>>;
  readonly ranks: readonly number[];
  readonly alphas: readonly number[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly trigger?: string;
  /** Where `trigger` came from: modelspec.trigger_phrase, or the kohya dataset folder names. */
  readonly triggerSource?: 'modelspec' | 'dataset folders';
  readonly topTags: ReadonlyArray<{ tag: string; count: number }>;
  readonly compatibility: readonly LoaderVerdict[];
  readonly unknownKeys: readonly string[];
  readonly warnings: readonly string[];
}

function tagFrequency(metadata: Readonly<Record<string, string>>): Record<string, Record<string, number>> {
  const raw = metadata.ss_tag_frequency;
  if (!raw) return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null
      ? (parsed as Record<string, Record<string, number>>)
      : {};
  } catch {
    return {};
  }
}

/** Keys of a metadata value holding a JSON object (ss_tag_frequency, ss_dataset_dirs); [] when not JSON. */
function jsonObjectKeys(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const parsed: unknown = JSON.parse(raw);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed) : [];
  } catch {
    return [];
  }
}

/**
 * Trigger words: `modelspec.trigger_phrase` when set, else the `<repeats>_<trigger>` dataset folder
 * names kohya records as the keys of `ss_tag_frequency` / `ss_dataset_dirs` (e.g. `10_sks girl`),
 * which most Civitai files carry.
 */
export function triggerWords(
  metadata: Readonly<Record<string, string>>,
): { trigger: string; source: 'modelspec' | 'dataset folders' } | undefined {
  const phrase = metadata['modelspec.trigger_phrase']?.trim();
  if (phrase) return { trigger: phrase, source: 'modelspec' };
  const folders = [...jsonObjectKeys(metadata.ss_tag_frequency), ...jsonObjectKeys(metadata.ss_dataset_dirs)];
  const names = folders.flatMap((f) => {
    const m = /^\d+_(.+)$/.exec(f.split(/[\\/]/).pop() ?? '');
    return m ? [(m[1] as string).trim()] : [];
  });
  const unique = [...new Set(names.filter(Boolean))];
  return unique.length > 0 ? { trigger: unique.join(', '), source: 'dataset folders' } : undefined;
}

/**
 * diffusers turns a kohya file's per-module alphas into `alpha_pattern` keys that keep the
 * `.processor.to_k_lora.down.weight` spelling, so no module matches them and all modules get the
 * most common alpha (diffusers 0.42.1 utils/peft_utils.py `get_peft_kwargs`; checked by loading a
 * converted alpha_pattern LoRA into a tiny UNet). A1111 and ComfyUI read each module's alpha.
 */
function withAlphaPatternNote(
  verdicts: LoaderVerdict[],
  format: string,
  modules: readonly InspectModule[],
): LoaderVerdict[] {
  if (!diffusersMisreadsAlphas(format, modules)) return verdicts;
  return verdicts.map((v) =>
    v.loader === 'diffusers' ? { ...v, ok: false, notes: [...v.notes, DIFFUSERS_KOHYA_ALPHA_NOTE] } : v,
  );
}

/** Warnings about what loaders and convert will not take: non-SD1.5 modules, unknown keys, no LoRA at all. */
function inspectionWarnings(model: LoraModel, modules: readonly InspectModule[]): string[] {
  const warnings = [...model.warnings];
  if (model.format === 'unknown') {
    warnings.push(
      `${NO_LORA_KEYS} All ${model.unknownKeys.length} tensor(s) are unmapped; convert refuses the file.`,
    );
    return warnings;
  }
  const notSd15 = modules.filter((m) => !m.sd15).length;
  if (notSd15 > 0) warnings.push(`${notSd15} module(s) are not SD1.5 modules (another base model?).`);
  if (model.unknownKeys.length > 0) {
    const kinds = [...new Set(model.unknownKeys.map(describeUnknownKey))].join('; ');
    warnings.push(
      `${model.unknownKeys.length} tensor(s) belong to no LoRA module (${kinds}); convert refuses the file unless --drop-unknown.`,
    );
  }
  return warnings;
}

/**
 * Inspects a LoRA file or PEFT adapter folder. A valid safetensors file whose keys match no LoRA
 * format is reported as format `unknown`, every key unmapped.
 * @throws TL_ERR_INPUT_NOT_FOUND, TL_ERR_SAFETENSORS, TL_ERR_LORA_FORMAT (broken module, bad config).
 */
export async function inspectLora(
  path: string,
  options: { topTagCount?: number } = {},
): Promise<InspectResult> {
  const { reader, model } = await openLora(path, { allowUnknownFormat: true });
  try {
    const { header } = reader;
    const dtypes: Record<string, number> = {};
    for (const t of header.tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
    const modules = model.modules.map((m) => ({
      name: kohyaModuleName(m.component, m.path),
      component: m.component,
      path: m.path,
      rank: m.rank,
      alpha: m.alpha,
      alphaSource: m.alphaSource,
      scale: m.alpha / m.rank,
      dora: Boolean(m.magnitude),
      sd15: m.known,
    }));
    const modulesPerBlock: Record<string, number> = {};
    for (const m of model.modules) {
      const block = blockOf(m.component, m.path);
      modulesPerBlock[block] = (modulesPerBlock[block] ?? 0) + 1;
    }
    const metadata = { ...header.metadata };
    const trigger = triggerWords(metadata);
    const warnings = inspectionWarnings(model, modules);
    return {
      file: reader.path,
      format: model.format,
      sizeBytes: reader.fileSize,
      tensorCount: header.tensors.length,
      dtypes,
      modules,
      modulesPerBlock,
      ranks: [...new Set(modules.map((m) => m.rank))].sort((a, b) => a - b),
      alphas: [...new Set(modules.map((m) => m.alpha))].sort((a, b) => a - b),
      metadata,
      ...(trigger ? { trigger: trigger.trigger, triggerSource: trigger.source } : {}),
      topTags: topTags(tagFrequency(metadata), options.topTagCount ?? 10),
      compatibility: withAlphaPatternNote(
        checkLoaderCompatibility(header.tensors.map((t) => t.name)),
        model.format,
        modules,
      ),
      unknownKeys: model.unknownKeys,
      warnings,
    };
  } finally {
    await reader.close();
  }
}

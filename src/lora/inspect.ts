// src/lora/inspect.ts — `inspectLora`: what a LoRA file is (format, rank / alpha / scale per module,
// modules per block, dtypes, size, metadata, trigger and top tags) and whether AUTOMATIC1111, ComfyUI
// and diffusers map every key. Reads only the header and the alpha scalars.
import { checkLoaderCompatibility, DIFFUSERS_KOHYA_ALPHA_NOTE, type LoaderVerdict } from './loader-compat.js';
import { kohyaModuleName } from './lora-keys.js';
import { openLora } from './open-lora.js';
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
  if (format !== 'kohya' || new Set(modules.map((m) => m.alpha)).size < 2) return verdicts;
  return verdicts.map((v) =>
    v.loader === 'diffusers' ? { ...v, ok: false, notes: [...v.notes, DIFFUSERS_KOHYA_ALPHA_NOTE] } : v,
  );
}

/**
 * Inspects a LoRA file or PEFT adapter folder.
 * @throws TL_ERR_INPUT_NOT_FOUND, TL_ERR_SAFETENSORS, TL_ERR_LORA_FORMAT.
 */
export async function inspectLora(
  path: string,
  options: { topTagCount?: number } = {},
): Promise<InspectResult> {
  const { reader, model } = await openLora(path);
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
    const warnings = [...model.warnings];
    const notSd15 = modules.filter((m) => !m.sd15).length;
    if (notSd15 > 0) warnings.push(`${notSd15} module(s) are not SD1.5 modules (another base model?).`);
    if (model.unknownKeys.length > 0) {
      const kinds = [...new Set(model.unknownKeys.map(describeUnknownKey))].join('; ');
      warnings.push(
        `${model.unknownKeys.length} tensor(s) belong to no LoRA module (${kinds}); convert refuses the file unless --drop-unknown.`,
      );
    }
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

/** Human summary of an inspection, for the CLI. */
export function formatInspection(result: InspectResult): string {
  const lines = [
    `${result.file}`,
    `  format: ${result.format}   size: ${(result.sizeBytes / 1e6).toFixed(2)} MB   tensors: ${result.tensorCount}   dtypes: ${Object.entries(
      result.dtypes,
    )
      .map(([d, n]) => `${d} x${n}`)
      .join(', ')}`,
    `  modules: ${result.modules.length}   ranks: ${result.ranks.join(', ')}   alphas: ${result.alphas.join(', ')}`,
    `  scale (alpha / rank): ${[...new Set(result.modules.map((m) => Number(m.scale.toPrecision(6))))].join(', ')}`,
    `  per block: ${Object.entries(result.modulesPerBlock)
      .map(([b, n]) => `${b} ${n}`)
      .join(', ')}`,
  ];
  if (result.trigger)
    lines.push(
      `  trigger: ${result.trigger}${result.triggerSource === 'dataset folders' ? ' (from the dataset folder names)' : ''}`,
    );
  if (result.topTags.length > 0)
    lines.push(`  top tags: ${result.topTags.map((t) => `${t.tag} (${t.count})`).join(', ')}`);
  const metaKeys = Object.keys(result.metadata);
  if (metaKeys.length > 0)
    lines.push(
      `  metadata: ${metaKeys.length} keys (${metaKeys.slice(0, 8).join(', ')}${metaKeys.length > 8 ? ', ...' : ''})`,
    );
  lines.push('  compatibility:');
  for (const v of result.compatibility) {
    lines.push(
      `    ${v.loader.padEnd(9)} ${v.ok ? 'ok' : 'PROBLEM'}: ${v.mappedKeys} keys mapped, ${v.unmappedKeys.length} unmapped`,
    );
    for (const key of v.unmappedKeys.slice(0, 10)) lines.push(`      unmapped: ${key}`);
    if (v.unmappedKeys.length > 10)
      lines.push(`      ... ${v.unmappedKeys.length - 10} more (--json lists all)`);
    for (const note of v.notes) lines.push(`      note: ${note}`);
  }
  for (const w of result.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}

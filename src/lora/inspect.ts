// src/lora/inspect.ts — `inspectLora`: what a LoRA or LoKr file is (format, algorithm, rank / alpha /
// scale per module, LoKr factor shapes, modules per block, dtypes, size, metadata, trigger and top
// tags) and whether AUTOMATIC1111, ComfyUI and diffusers map every key; the verdict notes and warnings
// live in inspect-verdicts.ts (the warnings as data, worded by inspect-warnings.ts; inspectLoraFindings
// has both). Reads only the header and the alpha scalars.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readRunRecord, runKohyaFilePath } from './convert-facts.js';
import { withDoraVerdicts } from './dora-loaders.js';
import {
  inspectionWarnings,
  lokrWarnings,
  withAlphaPatternNote,
  withConv1x1Note,
  withSdxlNote,
  withTextModelTargetNote,
} from './inspect-verdicts.js';
import { type InspectWarning, inspectWarningTexts, notes } from './inspect-warnings.js';
import { topTags } from './kohya-metadata.js';
import { checkLoaderFindings, type LoaderVerdict } from './loader-compat.js';
import { INSPECT_VERDICT_NOTE_WORDS, type LoaderFindings, verdictInWords } from './verdict-notes.js';
import { type LokrFactorInfo, type LokrModel, lokrDims, lokrFactors } from './lokr.js';
import { lokrNetworkFacts } from './lokr-plan.js';
import { kohyaModuleName } from './lora-keys.js';
import { doraAxes } from './lora-model.js';
import { openAdapter } from './open-adapter.js';
import type { SafetensorsReader } from './safetensors-read.js';
import { blockOf } from './sd15-modules.js';
import { sdxlSignals } from './sdxl-check.js';
import { type UnreadAdapter, unreadAdapter } from './unknown-keys.js';

export interface InspectModule {
  readonly name: string;
  readonly component: string;
  readonly path: string;
  /**
   * LoRA: the rank. LoKr: the rank of the decomposed factor (lokr_w2_b, else lokr_w1_b); both factors
   * full: PEFT's r (a kohya file: the r kohya -> PEFT would write, the larger side of lokr_w2).
   */
  readonly rank: number;
  readonly alpha: number;
  readonly alphaSource: string;
  /**
   * The strength a loader applies at weight 1: alpha / rank. LoKr: alpha / rank when a factor is
   * decomposed, 1 when both are full (loaders ignore alpha); a PEFT folder: PEFT's alpha / r.
   */
  readonly scale: number;
  readonly dora: boolean;
  readonly sd15: boolean;
  /** LoKr modules: the two Kronecker factors (delta W = kron(w1, w2) * scale). */
  readonly lokr?: { readonly w1: LokrFactorInfo; readonly w2: LokrFactorInfo };
}

export interface InspectResult {
  readonly file: string;
  readonly format: string;
  /**
   * The adapter kind: LoRA (up @ down), or LyCORIS LoKr (Kronecker product of two factors); LyCORIS
   * LoHa (Hadamard product) and full (diff) files are reported but not read (no modules listed).
   */
  readonly algorithm: 'lora' | 'lokr' | UnreadAdapter['kind'];
  /** LoHa / full files: how many modules they hold (toonlora lists no module of theirs). */
  readonly unreadModules?: number;
  /** LoKr's factor (PEFT decompose_factor / LyCORIS `factor`; -1 splits near the square root), when it can be told. */
  readonly lokrFactor?: number;
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
  /**
   * Set when the input was a training run folder holding its kohya file (`<run>/<run>.safetensors`): `file` is that
   * kohya file (what A1111, ComfyUI and diffusers load), and `adapter` the PEFT adapter beside it (PEFT / --resume).
   */
  readonly runFolder?: { readonly folder: string; readonly adapter: string };
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

function lokrModules(model: LokrModel): InspectModule[] {
  return model.modules.map((m) => {
    const d = lokrDims(m);
    return {
      name: kohyaModuleName(m.component, m.path),
      component: m.component,
      path: m.path,
      rank: m.rank ?? m.peft?.r ?? Math.max(d.outK, d.inN),
      alpha: m.alpha,
      alphaSource: m.alphaSource,
      scale: m.scale,
      dora: false,
      sd15: m.known,
      lokr: lokrFactors(m),
    };
  });
}

/** The facts every inspection has, whatever the algorithm. */
function fileFacts(
  reader: SafetensorsReader,
  topTagCount: number | undefined,
  runRecord: Readonly<Record<string, string>> | undefined,
) {
  const { header } = reader;
  const dtypes: Record<string, number> = {};
  for (const t of header.tensors) dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
  // a run folder's adapter carries only `format`: its training record (trigger, base, tags) is the run's own kohya
  // file's, as convert reads it (readRunRecord); the adapter's own keys win
  const metadata = { ...runRecord, ...header.metadata };
  const trigger = triggerWords(metadata);
  return {
    file: reader.path,
    sizeBytes: reader.fileSize,
    tensorCount: header.tensors.length,
    dtypes,
    metadata,
    ...(trigger ? { trigger: trigger.trigger, triggerSource: trigger.source } : {}),
    topTags: topTags(tagFrequency(metadata), topTagCount ?? 10),
  };
}

function perBlock(
  modules: readonly { component: 'unet' | 'text_encoder'; path: string }[],
): Record<string, number> {
  const modulesPerBlock: Record<string, number> = {};
  for (const m of modules) {
    const block = blockOf(m.component, m.path);
    modulesPerBlock[block] = (modulesPerBlock[block] ?? 0) + 1;
  }
  return modulesPerBlock;
}

const sortedUnique = (values: readonly number[]) => [...new Set(values)].sort((a, b) => a - b);

const isFile = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * The kohya file of a training run folder (`<run>/<run>.safetensors` beside its PEFT adapter), when `path` is one;
 * undefined for any other input (a file, a checkpoint folder, a PEFT folder with no kohya file beside it).
 */
async function runFolderKohyaFile(path: string): Promise<string | undefined> {
  const isFolder = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isFolder || !(await isFile(join(path, 'adapter_model.safetensors')))) return undefined;
  const kohya = runKohyaFilePath(path);
  return (await isFile(kohya)) ? kohya : undefined;
}

/**
 * Inspects a LoRA or LoKr file or PEFT adapter folder. A training run folder is inspected by its kohya file
 * (`<run>/<run>.safetensors`, what WebUIs and diffusers load), `runFolder` naming the PEFT adapter beside it; a run
 * folder without that file (training stopped before writing it) is inspected by its PEFT adapter. A valid safetensors file whose keys match no
 * LoRA format is reported as format `unknown`, every key unmapped. A training run folder (or its adapter file, or a
 * checkpoint's) reports the training record of the run's kohya file in `metadata`, as `convert` carries it.
 * @throws TL_ERR_INPUT_NOT_FOUND, TL_ERR_SAFETENSORS, TL_ERR_LORA_FORMAT (broken module, bad config).
 */
export async function inspectLora(
  path: string,
  options: { topTagCount?: number } = {},
): Promise<InspectResult> {
  return (await inspectLoraFindings(path, options)).result;
}

/** {@link inspectLora}'s result, and its `warnings` as data (inspect-warnings.ts), which another side words its way. */
export interface InspectFindings {
  readonly result: InspectResult;
  readonly warnings: readonly InspectWarning[];
  /** `result.compatibility` with its notes as data (verdict-notes.ts). */
  readonly verdicts: readonly LoaderFindings[];
}

/** {@link inspectLora}, with its warnings as data too (the server words them for the web app's LoRA upload). */
export async function inspectLoraFindings(
  path: string,
  options: { topTagCount?: number } = {},
): Promise<InspectFindings> {
  const kohya = await runFolderKohyaFile(path);
  if (kohya === undefined) return inspectAdapter(path, options);
  const { result, warnings, verdicts } = await inspectAdapter(kohya, options);
  return {
    result: {
      ...result,
      runFolder: { folder: resolve(path), adapter: join(resolve(path), 'adapter_model.safetensors') },
    },
    warnings,
    verdicts,
  };
}

/** `result` with its verdict notes and `warnings` in inspect's words, and the data beside it. */
function withWarnings(
  result: Omit<InspectResult, 'warnings' | 'compatibility'> & { compatibility: LoaderFindings[] },
  warnings: InspectWarning[],
): InspectFindings {
  const compatibility = result.compatibility.map((v) => verdictInWords(v, INSPECT_VERDICT_NOTE_WORDS));
  return {
    result: { ...result, compatibility, warnings: inspectWarningTexts(warnings) },
    warnings,
    verdicts: result.compatibility,
  };
}

async function inspectAdapter(path: string, options: { topTagCount?: number }): Promise<InspectFindings> {
  const opened = await openAdapter(path, { allowUnknownFormat: true });
  const { reader } = opened;
  try {
    const keys = reader.header.tensors.map((t) => t.name);
    const sdxl = sdxlSignals(keys, reader.header.metadata);
    const runRecord = await readRunRecord(path, reader.header.metadata);
    const facts = fileFacts(reader, options.topTagCount, runRecord.metadata);
    const recordWarnings = notes(runRecord.warning ? [runRecord.warning] : []);
    /** What both kinds report alike: the file, its module list and tallies, metadata and tags. */
    const shared = (
      model: { readonly format: InspectResult['format']; readonly modules: Parameters<typeof perBlock>[0] },
      modules: InspectResult['modules'],
    ) => ({
      file: facts.file,
      format: model.format,
      sizeBytes: facts.sizeBytes,
      tensorCount: facts.tensorCount,
      dtypes: facts.dtypes,
      modules,
      modulesPerBlock: perBlock(model.modules),
      ranks: sortedUnique(modules.map((m) => m.rank)),
      alphas: sortedUnique(modules.map((m) => m.alpha)),
      metadata: facts.metadata,
      ...(facts.trigger ? { trigger: facts.trigger, triggerSource: facts.triggerSource } : {}),
      topTags: facts.topTags,
    });
    if (opened.algorithm === 'lokr') {
      const { model } = opened;
      const modules = lokrModules(model);
      const { factor } = lokrNetworkFacts(model, reader.header.metadata);
      return withWarnings(
        {
          ...shared(model, modules),
          algorithm: 'lokr',
          ...(factor === undefined ? {} : { lokrFactor: factor }),
          compatibility: withSdxlNote(checkLoaderFindings(keys), sdxl),
          unknownKeys: [...model.unknownKeys, ...model.loraKeys],
        },
        [...lokrWarnings(model, modules, reader.header.metadata, sdxl), ...recordWarnings],
      );
    }
    const { model } = opened;
    const other = model.modules.length === 0 ? unreadAdapter(model.unknownKeys) : undefined;
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
    return withWarnings(
      {
        ...shared(model, modules),
        algorithm: other?.kind ?? 'lora',
        ...(other ? { unreadModules: other.modules } : {}),
        compatibility: withSdxlNote(
          withDoraVerdicts(
            withConv1x1Note(
              withTextModelTargetNote(
                withAlphaPatternNote(checkLoaderFindings(keys), model.format, model.modules),
                reader.header.metadata,
              ),
              model.modules,
            ),
            new Map([...doraAxes(model.modules)].map(([axis, list]) => [axis, list.length])),
            model.format,
          ),
          sdxl,
        ),
        unknownKeys: model.unknownKeys,
      },
      [...inspectionWarnings(model, modules, reader.header.metadata, sdxl), ...recordWarnings],
    );
  } finally {
    await reader.close();
  }
}

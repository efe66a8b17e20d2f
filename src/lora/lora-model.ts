// src/lora/lora-model.ts — groups a file's tensors into LoRA modules (pure): per module the down / up
// (and DoRA magnitude) tensors, its rank and its alpha in kohya terms (scale = alpha / rank), from
// the `.alpha` tensors (kohya), adapter_config.json (PEFT) or `lora_adapter_metadata` (diffusers).
import { ToonloraError } from '../errors.js';
import {
  type LoraFormat,
  type LoraPart,
  modulePlace,
  parseKohyaKey,
  parsePeftStyleKey,
} from './lora-keys.js';
import { type DoraAxis, type DoraModuleNote, doraModuleNoteText } from './dora-loaders.js';
import { type PeftAdapterConfig, peftModuleScale, unreadablePatternKeys } from './peft-config.js';
import type { TensorEntry } from './safetensors-format.js';
import { knownKohyaNames, KOHYA_PREFIX, type LoraComponent } from './sd15-modules.js';

/** Where a module's alpha came from, so `inspect` can say when it was assumed. */
export type AlphaSource = 'tensor' | 'config' | 'assumed-rank';

export interface LoraModule {
  readonly component: LoraComponent;
  readonly path: string;
  readonly rank: number;
  /** kohya alpha: the module's scale is alpha / rank. */
  readonly alpha: number;
  readonly alphaSource: AlphaSource;
  readonly down: TensorEntry;
  readonly up: TensorEntry;
  readonly magnitude?: TensorEntry;
  /** Whether the module is one of SD1.5's (name table in sd15-modules.ts). */
  readonly known: boolean;
}

export interface LoraModel {
  readonly format: LoraFormat;
  readonly modules: readonly LoraModule[];
  /** Keys that belong to no module in the detected format. */
  readonly unknownKeys: readonly string[];
  /**
   * kohya `.alpha` tensors of modules that have no other tensor (no weights at all): ignored, as
   * ComfyUI ignores them, and left out of what convert writes.
   */
  readonly orphanAlphas?: readonly string[];
  readonly warnings: readonly string[];
}

/** Inputs besides the tensor list: alpha tensor values (kohya) and configs per component (PEFT / diffusers). */
export interface AssembleOptions {
  readonly format: LoraFormat;
  readonly file: string;
  /** Decoded `.alpha` scalars by tensor key. */
  readonly alphaValues?: ReadonlyMap<string, number>;
  readonly configs?: Partial<Record<LoraComponent, PeftAdapterConfig>>;
  /**
   * Every module belongs to this component (a PEFT folder's `text_encoder/` adapter, whose keys carry no
   * component prefix). Text-encoder paths then get Hugging Face's `text_model.` prefix when they lack it.
   */
  readonly component?: LoraComponent;
}

interface Draft {
  component: LoraComponent;
  path: string;
  known: boolean;
  parts: Partial<Record<LoraPart, TensorEntry>>;
}

function formatError(file: string, what: string, module?: string): ToonloraError {
  return new ToonloraError('TL_ERR_LORA_FORMAT', `${file}: ${module ? `module "${module}": ` : ''}${what}`, {
    details: { file, ...(module ? { module } : {}) },
  });
}

function groupTensors(
  tensors: readonly TensorEntry[],
  format: LoraFormat,
  forced?: LoraComponent,
): { drafts: Map<string, Draft>; unknown: string[] } {
  const drafts = new Map<string, Draft>();
  const unknown: string[] = [];
  const known = knownKohyaNames();
  for (const tensor of tensors) {
    const parsed =
      format === 'kohya'
        ? parseKohyaKey(tensor.name)
        : format === 'unknown'
          ? undefined
          : parsePeftStyleKey(tensor.name);
    if (!parsed || (format === 'peft' && 'style' in parsed && parsed.style !== 'peft')) {
      unknown.push(tensor.name);
      continue;
    }
    const { component, path } = modulePlace(parsed, forced);
    const id = `${component}:${path}`;
    let draft = drafts.get(id);
    if (!draft) {
      const kohyaName = KOHYA_PREFIX[component] + path.replaceAll('.', '_');
      draft = { component, path, known: known.has(kohyaName), parts: {} };
      drafts.set(id, draft);
    }
    if (draft.parts[parsed.part]) unknown.push(tensor.name);
    else draft.parts[parsed.part] = tensor;
  }
  return { drafts, unknown };
}

/** Rank of a down / up pair; throws when the shapes do not fit together. */
function rankOf(draft: Draft, file: string): number {
  const { down, up } = draft.parts;
  const name = `${draft.component}.${draft.path}`;
  if (!down || !up)
    throw formatError(
      file,
      `has ${down ? 'no up (lora_B / lora_up)' : 'no down (lora_A / lora_down)'} tensor. The file is incomplete.`,
      name,
    );
  if (down.shape.length < 2 || up.shape.length < 2)
    throw formatError(file, 'down / up tensors must be at least 2-D.', name);
  const rank = down.shape[0] as number;
  if (rank === 0) {
    throw formatError(
      file,
      `has rank 0 (shapes ${JSON.stringify(down.shape)} / ${JSON.stringify(up.shape)}): an empty LoRA module. The file is damaged or was saved wrong.`,
      name,
    );
  }
  if (up.shape[1] !== rank) {
    throw formatError(
      file,
      `down has rank ${rank} but up expects ${up.shape[1]} (shapes ${JSON.stringify(down.shape)} / ${JSON.stringify(up.shape)}).`,
      name,
    );
  }
  return rank;
}

function alphaOf(
  draft: Draft,
  rank: number,
  options: AssembleOptions,
): { alpha: number; source: AlphaSource } {
  const name = `${draft.component}.${draft.path}`;
  if (options.format === 'kohya') {
    const entry = draft.parts.alpha;
    if (!entry) return { alpha: rank, source: 'assumed-rank' };
    const value = options.alphaValues?.get(entry.name);
    if (value === undefined || !Number.isFinite(value))
      throw formatError(options.file, `alpha tensor "${entry.name}" is not a finite number.`, name);
    return { alpha: value, source: 'tensor' };
  }
  const config = options.configs?.[draft.component];
  if (!config) return { alpha: rank, source: 'assumed-rank' };
  const scale = peftModuleScale(config, draft.path);
  if (scale.rank !== rank) {
    throw formatError(
      options.file,
      `config gives rank ${scale.rank} (r / rank_pattern) but the tensors have rank ${rank}. The config does not belong to these weights.`,
      name,
    );
  }
  return { alpha: scale.kohyaAlpha, source: 'config' };
}

/**
 * Which axis a DoRA magnitude runs along, from its shape against the module's out / in features. A
 * `[1, N, 1, 1]` conv magnitude is PEFT's per-output-row `lora_magnitude_vector`, but a kohya / LyCORIS
 * `dora_scale` per input column (wd_on_out=False): with in = out (most SD1.5 convs) only the key tells them apart.
 */
export function doraAxis(module: LoraModule): DoraAxis {
  const shape = module.magnitude?.shape ?? [];
  const kohyaScale = module.magnitude?.name.endsWith('.dora_scale') ?? false;
  const out = module.up.shape[0];
  const inFeatures = module.down.shape[1];
  const ones = (dims: readonly number[]) => dims.every((d) => d === 1);
  // PEFT (out,) / (1, out, 1, 1); kohya / LyCORIS wd_on_out=True (out, 1) / (out, 1, 1, 1).
  if ((shape.length === 1 && shape[0] === out) || (shape[0] === out && ones(shape.slice(1))))
    return 'output rows';
  const peftConv = shape.length === 4 && shape[0] === 1 && shape[1] === out && ones(shape.slice(2));
  if (peftConv && !kohyaScale) return 'output rows';
  // LyCORIS wd_on_out=False: (1, in) / (1, in, ...).
  if (shape.length >= 2 && shape[0] === 1 && shape[1] === inFeatures) return 'input columns';
  return 'unknown';
}

/** The DoRA modules of `modules` counted by magnitude axis, in the order first found. */
export function doraAxes(modules: readonly LoraModule[]): Map<DoraAxis, LoraModule[]> {
  const byAxis = new Map<DoraAxis, LoraModule[]>();
  for (const m of modules.filter((mod) => mod.magnitude)) {
    const axis = doraAxis(m);
    byAxis.set(axis, [...(byAxis.get(axis) ?? []), m]);
  }
  return byAxis;
}

/** One DoRA note per magnitude axis found, as data (dora-loaders.ts words it, with what each loader does). */
export function doraModuleNotes(modules: readonly LoraModule[], format: LoraFormat): DoraModuleNote[] {
  return [...doraAxes(modules)].map(([axis, list]) => ({
    axis,
    count: list.length,
    example: `${list[0]?.magnitude?.name}`,
    shape: list[0]?.magnitude?.shape ?? [],
    format,
  }));
}

/** One DoRA warning per magnitude axis found, worded by the actual shapes, with what each loader does (dora-loaders.ts). */
function doraWarnings(modules: readonly LoraModule[], format: LoraFormat): string[] {
  return doraModuleNotes(modules, format).map((note) => doraModuleNoteText(note));
}

/**
 * Builds the module list of a LoRA file. A kohya `.alpha` with no weights beside it is ignored (in
 * `orphanAlphas`, warned), or an unknown key when its module's other tensors are unknown (LoHa).
 * @throws TL_ERR_LORA_FORMAT when a module misses a tensor, shapes disagree or the config's rank differs.
 */
export function assembleLoraModel(tensors: readonly TensorEntry[], options: AssembleOptions): LoraModel {
  const { drafts, unknown } = groupTensors(tensors, options.format, options.component);
  const unknownModules = new Set(unknown.map((k) => k.split('.')[0]));
  const orphanAlphas: string[] = [];
  const modules: LoraModule[] = [];
  for (const draft of drafts.values()) {
    const { alpha: alphaEntry, down, up, magnitude } = draft.parts;
    if (alphaEntry && !down && !up && !magnitude) {
      // The alpha of a module in another grammar (a LoHa module's hada_* weights) is one of its
      // unknown tensors; an alpha with nothing at all beside it is ignored.
      if (unknownModules.has(alphaEntry.name.split('.')[0])) unknown.push(alphaEntry.name);
      else orphanAlphas.push(alphaEntry.name);
      continue;
    }
    const rank = rankOf(draft, options.file);
    const { alpha, source } = alphaOf(draft, rank, options);
    modules.push({
      component: draft.component,
      path: draft.path,
      rank,
      alpha,
      alphaSource: source,
      down: draft.parts.down as TensorEntry,
      up: draft.parts.up as TensorEntry,
      ...(draft.parts.magnitude ? { magnitude: draft.parts.magnitude } : {}),
      known: draft.known,
    });
  }
  modules.sort((a, b) => (a.component + a.path < b.component + b.path ? -1 : 1));
  return {
    format: options.format,
    modules,
    unknownKeys: unknown,
    ...(orphanAlphas.length > 0 ? { orphanAlphas } : {}),
    warnings: [
      ...patternWarnings(options),
      ...orphanAlphaWarnings(orphanAlphas),
      ...moduleWarnings(options.format, modules),
    ],
  };
}

/** A config whose rank_pattern / alpha_pattern keys JavaScript cannot compile, even from Python syntax. */
function patternWarnings(options: AssembleOptions): string[] {
  const configs = [...new Set(Object.values(options.configs ?? {}))];
  const keys = [...new Set(configs.flatMap((c) => unreadablePatternKeys(c)))];
  if (keys.length === 0) return [];
  return [
    `${options.file}: ${keys.join(', ')}: not a regular expression toonlora can read (PEFT matches it with Python's re); it was compared as an exact module path, so the modules it means may get r / lora_alpha instead. Rewrite the key as a plain module path or a simpler pattern.`,
  ];
}

/**
 * The warning about `.alpha` tensors with no weights beside them. ComfyUI reads an alpha only for a
 * module it loads (comfy/lora.py `load_lora`); AUTOMATIC1111 refuses the file ("Could not find a
 * module type", networks.py `load_network`), and diffusers raises ("keys have not been correctly
 * renamed"), so convert and generate's copy leave them out.
 */
export function orphanAlphaWarnings(orphanAlphas: readonly string[] | undefined): string[] {
  if (!orphanAlphas || orphanAlphas.length === 0) return [];
  return [
    `${orphanAlphas.length} .alpha tensor(s) have no LoRA weights beside them (e.g. "${orphanAlphas[0]}"): ignored, as ComfyUI does; AUTOMATIC1111 refuses such a file ("Could not find a module type") and diffusers' load_lora_weights raises, so convert leaves them out.`,
  ];
}

/** Warnings about `modules` themselves (alpha assumed, DoRA axes); recomputed when modules are dropped. */
export function moduleWarnings(format: LoraFormat, modules: readonly LoraModule[]): string[] {
  const warnings: string[] = [];
  const assumed = modules.filter((m) => m.alphaSource === 'assumed-rank').length;
  if (assumed > 0) {
    warnings.push(
      format === 'kohya'
        ? `${assumed} module(s) have no .alpha tensor: loaders then use scale 1.0 (alpha = rank).`
        : `${assumed} module(s) have no stored alpha (no adapter config / lora_adapter_metadata): assuming alpha = rank (scale 1.0), the diffusers convention.`,
    );
  }
  warnings.push(...doraWarnings(modules, format));
  return warnings;
}

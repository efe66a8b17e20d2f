// src/models/sd15-layout.ts — what a diffusers-layout Stable Diffusion 1.5 repo must hold for toonlora's worker
// (which loads tokenizer, text_encoder, vae, unet and scheduler by subfolder), and which of its files a pull of
// an arbitrary Hub id fetches: the components' configs and their full-precision weights, `.safetensors` over
// `.bin`; no fp16 / ema variants, single-file checkpoints, safety checker or feature extractor. Pure.

/** The pipeline components the worker loads (trainer/toonlora_trainer/models.py), each from its subfolder. */
export const SD15_COMPONENTS = ['scheduler', 'tokenizer', 'text_encoder', 'unet', 'vae'] as const;

/** Files every SD1.5 layout has; the weights are checked per component (WEIGHTED_COMPONENTS). */
const REQUIRED_FILES = [
  'model_index.json',
  'scheduler/scheduler_config.json',
  'text_encoder/config.json',
  'unet/config.json',
  'vae/config.json',
];
const WEIGHTED_COMPONENTS = ['text_encoder', 'unet', 'vae'];
/** A CLIP tokenizer loads from its vocabulary and merges, or from one tokenizer.json (transformers 5 saves only that). */
const TOKENIZER_FILES = [['tokenizer/vocab.json', 'tokenizer/merges.txt'], ['tokenizer/tokenizer.json']];

/** diffusers' variant names (`diffusion_pytorch_model.fp16.safetensors`): loaded only with `variant=`. */
const VARIANT = /\.(fp16|fp32|bf16|ema|non_ema|non-ema)\./;
/**
 * The `hf download` filters that fetch what selectSd15Files selects from a Hub repo (globs as fnmatch: `*`
 * crosses `/`): the components' folders, no variant (VARIANT), no other formats, and no `.bin` (weights the pull
 * takes only where a folder has no `.safetensors`: a repo with only `.bin` weights needs that exclude left out).
 */
export const SD15_HF_DOWNLOAD_RULE = {
  allow: ['model_index.json', ...SD15_COMPONENTS.map((component) => `${component}/*`)],
  ignore: [
    ...['fp16', 'fp32', 'bf16', 'ema', 'non_ema', 'non-ema'].map((variant) => `*.${variant}.*`),
    '*.bin',
    '*.ckpt',
    '*.msgpack',
    '*.h5',
    '*.onnx',
    '*.onnx_data',
    '*.pb',
  ],
  preferSafetensors: true,
};

/** Full-precision weights of a component, sharded or not, in either format. */
const WEIGHTS = /^(diffusion_pytorch_model|model|pytorch_model)(-\d+-of-\d+)?\.(safetensors|bin)$/;
/** Settings beside the weights: configs, a shard index, a tokenizer's vocabulary and merges. */
const SETTINGS = /\.(json|txt)$/;
/** A shard's name: `<stem>-<index>-of-<count>.<ext>`. */
const SHARD = /^(.*)-(\d+)-of-(\d+)\.(safetensors|bin)$/;

/** More shards than any SD1.5 component has (the UNet is ~3.4 GB): a count above it is checked by its last shard only. */
const MAX_SHARDS = 1000;

/** Reads a component's shard index (`unet/diffusion_pytorch_model.safetensors.index.json`), parsed, if on disk. */
export type ShardIndexReader = (path: string) => unknown;

/**
 * The shards a component's chosen weights lack: every `-<i>-of-<N>` up to N (same digit width), and where
 * `readIndex` gives the shard index, every file its weight_map names. Repo paths, sorted.
 */
function missingShards(
  component: string,
  weights: readonly string[],
  present: ReadonlySet<string>,
  readIndex?: ShardIndexReader,
): string[] {
  const wanted = new Set<string>();
  for (const path of weights) {
    const match = SHARD.exec(path.slice(component.length + 1));
    if (!match) continue;
    const [, stem, index = '', count = '', ext] = match;
    if (Number(count) > MAX_SHARDS) {
      // a listing's `-of-99999999` must not make us spell out every name: its last shard stands for the rest
      wanted.add(`${component}/${stem}-${count}-of-${count}.${ext}`);
      continue;
    }
    for (let i = 1; i <= Number(count); i += 1) {
      wanted.add(`${component}/${stem}-${String(i).padStart(index.length, '0')}-of-${count}.${ext}`);
    }
    const indexMap = (readIndex?.(`${component}/${stem}.${ext}.index.json`) as { weight_map?: unknown })
      ?.weight_map;
    if (indexMap !== null && typeof indexMap === 'object') {
      for (const file of Object.values(indexMap)) {
        if (typeof file === 'string') wanted.add(`${component}/${file}`);
      }
    }
  }
  return [...wanted].filter((path) => !present.has(path)).sort();
}

/** The files of an SD1.5 repo a pull fetches (model_index.json first, weights last) and what it lacks. */
export interface Sd15Selection {
  files: string[];
  /** Required paths (or `<component>/ weights`) the repo does not have; empty for a complete layout. */
  missing: string[];
  /** Components whose only weights are variants (fp16 / ema), which the worker does not load. */
  variantOnly: string[];
}

function componentFiles(
  paths: readonly string[],
  component: string,
): { settings: string[]; weights: string[] } {
  const names = paths
    .filter((path) => path.startsWith(`${component}/`))
    .map((path) => path.slice(component.length + 1))
    .filter((name) => !name.includes('/') && !VARIANT.test(name));
  const weights = names.filter((name) => WEIGHTS.test(name));
  const safetensors = weights.filter((name) => name.endsWith('.safetensors'));
  return {
    settings: names.filter((name) => SETTINGS.test(name)).map((name) => `${component}/${name}`),
    weights: (safetensors.length > 0 ? safetensors : weights).map((name) => `${component}/${name}`),
  };
}

/**
 * The repo paths (from a Hub listing or a folder) an SD1.5 load needs: model_index.json, each component's
 * `.json` / `.txt` files and its weights (`.safetensors` where the folder has them, else `.bin`), sorted with
 * model_index.json and the settings before the weights; and the required files it lacks, every shard of
 * sharded weights included (from the `-of-N` names, and from the shard index where `readIndex` reads it).
 */
export function selectSd15Files(paths: readonly string[], readIndex?: ShardIndexReader): Sd15Selection {
  const present = new Set(paths);
  const parts = SD15_COMPONENTS.map((component) => ({ component, ...componentFiles(paths, component) }));
  const settings = parts.flatMap((part) => part.settings).sort();
  const weights = parts.flatMap((part) => part.weights).sort();
  const unweighted = parts.filter(
    (part) => WEIGHTED_COMPONENTS.includes(part.component) && part.weights.length === 0,
  );
  const variantOnly = unweighted
    .filter(({ component }) => paths.some((p) => p.startsWith(`${component}/`) && VARIANT.test(p)))
    .map((part) => part.component);
  const shardsLacking = parts.flatMap((part) =>
    missingShards(part.component, part.weights, present, readIndex),
  );
  const tokenizerFound = TOKENIZER_FILES.some((set) => set.every((path) => present.has(path)));
  return {
    files: present.has('model_index.json')
      ? ['model_index.json', ...settings, ...weights]
      : [...settings, ...weights],
    missing: [
      ...REQUIRED_FILES.filter((path) => !present.has(path)),
      ...(tokenizerFound ? [] : ['tokenizer/vocab.json and merges.txt (or tokenizer.json)']),
      ...unweighted.map((part) => `${part.component}/ weights`),
      ...shardsLacking.map((path) => `${path} (a weight shard)`),
    ],
    variantOnly,
  };
}

/** The pipeline class diffusers builds from an SD1.5 model_index.json. */
export const SD15_PIPELINE = 'StableDiffusionPipeline';

/**
 * Why a repo is not an SD1.5 base, from its model_index.json and unet/config.json (parsed JSON), or
 * undefined when it is one: the pipeline class must be StableDiffusionPipeline, and the UNet SD1.5's (text
 * features of 768: SD2's are 1024; 4 latent channels in: an inpainting UNet takes 9).
 */
export function sd15Refusal(modelIndex: unknown, unetConfig: unknown): string | undefined {
  const className = (modelIndex as { _class_name?: unknown } | null)?._class_name;
  if (className !== SD15_PIPELINE) {
    const named = typeof className === 'string' ? `a ${className}` : 'no pipeline class';
    return `its model_index.json names ${named}, not a ${SD15_PIPELINE} (SD1.5)`;
  }
  const unet = (unetConfig ?? {}) as { cross_attention_dim?: unknown; in_channels?: unknown };
  if (unet.cross_attention_dim !== undefined && unet.cross_attention_dim !== 768) {
    return `its UNet takes text features of ${String(unet.cross_attention_dim)}, not SD1.5's 768 (an SD2 model?)`;
  }
  if (unet.in_channels !== undefined && unet.in_channels !== 4) {
    return `its UNet takes ${String(unet.in_channels)} input channels, not SD1.5's 4 (an inpainting model?)`;
  }
  return undefined;
}

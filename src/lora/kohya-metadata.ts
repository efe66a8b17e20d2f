// src/lora/kohya-metadata.ts — the safetensors metadata kohya sd-scripts writes (pure): ss_* training
// facts as Python-formatted strings, ss_tag_frequency from the captions, and modelspec.* (SAI model
// spec). sshs_model_hash / sshs_legacy_hash are filled in by the writer (safetensors-write.ts).
import { z } from 'zod';
import { trainingConfigSchema } from '../schemas/config.js';
import {
  bucketInfoSchema,
  kohyaBucketInfo,
  kohyaRunSettings,
  publicBaseName,
  pyBool,
  pythonFloatRepr,
} from './kohya-run-keys.js';

/** Training facts the metadata records. Defaults come from the training config schema (never retyped). */
export const loraTrainingFactsSchema = trainingConfigSchema
  .pick({
    baseModel: true,
    resolution: true,
    steps: true,
    learningRate: true,
    textEncoderLearningRate: true,
    snrGamma: true,
    noiseOffset: true,
    gradientCheckpointing: true,
    mixedPrecision: true,
    clipSkip: true,
    seed: true,
    batchSize: true,
    gradientAccumulation: true,
    lrScheduler: true,
    lrWarmupSteps: true,
    shuffleCaptions: true,
    aspectRatioBuckets: true,
    cacheLatents: true,
  })
  .extend({
    /** kohya's legacy 8-hex model hash (ss_sd_model_hash) and sha256 (ss_new_sd_model_hash) of a local base file. */
    baseModelHash: z
      .string()
      .regex(/^[0-9a-f]{8}$/)
      .optional(),
    baseModelSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
    /** What the UNet was trained to predict (the base's scheduler): modelspec.prediction_type `v` or `epsilon`. */
    predictionType: z.enum(['epsilon', 'v_prediction']).optional(),
    /** The run's planned length (ss_max_train_steps, ss_num_epochs); ss_steps / ss_epoch are the steps done. */
    maxTrainSteps: z.number().int().min(0).optional(),
    numEpochs: z.number().int().min(0).optional(),
    /** kohya's random ss_session_id: which run a file came from. */
    sessionId: z.number().int().min(0).optional(),
    /** The aspect-ratio buckets the run trained (ss_bucket_info), as the trainer counted them. */
    bucketInfo: bucketInfoSchema.optional(),
    /** The trainer's optimizer (`torch.optim.adamw.AdamW`), gradient-norm clip and caption token limit (75: CLIP's own). */
    optimizer: z.string().min(1).max(200).optional(),
    maxGradNorm: z.number().min(0).optional(),
    maxTokenLength: z.number().int().min(1).optional(),
    /** Output name (ss_output_name, modelspec.title default). */
    outputName: z.string().min(1).max(200).default('toonlora'),
    title: z.string().max(200).optional(),
    epochs: z.number().int().min(0).default(1),
    /** Images times their folder's repeats, as kohya counts ss_num_train_images. */
    numTrainImages: z.number().int().min(0).default(0),
    /** Trigger word(s) (modelspec.trigger_phrase): several concept folders' triggers comma-separated (`zzk, sks`). */
    trigger: z.string().max(2000).optional(),
    /** Unix time in seconds. */
    trainingStartedAt: z.number().min(0).optional(),
    trainingFinishedAt: z.number().min(0).optional(),
    /** Captions per kohya folder (`10_sks girl`), for ss_tag_frequency. */
    captionsByFolder: z.record(z.string(), z.array(z.string())).optional(),
    /** Repeats and image count per kohya folder (`10_sks girl`), for ss_dataset_dirs. */
    datasetDirs: z
      .record(
        z.string(),
        z.object({ n_repeats: z.number().int().min(0), img_count: z.number().int().min(0) }).strict(),
      )
      .optional(),
  })
  .strict();

export type LoraTrainingFacts = z.infer<typeof loraTrainingFactsSchema>;
export type LoraTrainingFactsInput = z.input<typeof loraTrainingFactsSchema>;

/**
 * kohya's ss_tag_frequency (train_util `set_tag_frequency`): per folder, each caption split on
 * commas, tags trimmed and lower-cased, counted.
 */
export function computeTagFrequency(
  captionsByFolder: Readonly<Record<string, readonly string[]>>,
): Record<string, Record<string, number>> {
  const result: Record<string, Record<string, number>> = Object.create(null);
  for (const folder of Object.keys(captionsByFolder).sort()) {
    const counts = new Map<string, number>();
    for (const caption of captionsByFolder[folder] ?? []) {
      for (const raw of caption.split(',')) {
        const tag = raw.trim().toLowerCase();
        if (tag) counts.set(tag, (counts.get(tag) ?? 0) + 1);
      }
    }
    // Object.fromEntries defines own properties, so a tag named "__proto__" stays a plain key.
    result[folder] = Object.fromEntries(counts);
  }
  return result;
}

/** Most frequent tags over all folders, highest first (ties by name). */
export function topTags(
  frequency: Readonly<Record<string, Readonly<Record<string, number>>>>,
  limit: number,
): Array<{ tag: string; count: number }> {
  const totals = new Map<string, number>();
  for (const folder of Object.values(frequency)) {
    if (typeof folder !== 'object' || folder === null) continue;
    for (const [tag, count] of Object.entries(folder))
      if (typeof count === 'number') totals.set(tag, (totals.get(tag) ?? 0) + count);
  }
  return [...totals]
    .map(([tag, count]) => ({ tag, count }))
    .sort((a, b) => b.count - a.count || (a.tag < b.tag ? -1 : 1))
    .slice(0, limit);
}

/** Network shape facts taken from the converted modules. */
export interface NetworkFacts {
  readonly rank: number;
  readonly alpha: number;
  readonly dora: boolean;
  /** The file has text-encoder (lora_te_) modules: ss_network_train_unet_only False, ss_text_encoder_lr set. */
  readonly textEncoder?: boolean;
  /** The file has UNet modules; left out, true. A text-encoder-only adapter gets no ss_unet_lr (no UNet was trained). */
  readonly unet?: boolean;
  /** The adapter kind; left out, LoRA. LoKr files record LyCORIS' network module and args. */
  readonly algorithm?: 'lora' | 'lokr';
  /** LoKr's factor (PEFT decompose_factor, LyCORIS `factor`), when known. */
  readonly lokrFactor?: number;
}

/**
 * `ss_network_module` (and for DoRA / LoKr `ss_network_args`) as the trainer that wrote such a file
 * does: kohya's networks.lora for plain LoRA, LyCORIS (lycoris.kohya) for DoRA (dora_wd) and LoKr
 * (algo lokr; LyCORIS records its network args as strings, e.g. `{"algo": "lokr", "factor": "-1"}`).
 */
export function networkModuleMetadata(
  dora: boolean,
  lokr?: { readonly factor?: number | undefined },
): Record<string, string> {
  if (lokr) {
    const args = lokr.factor === undefined ? { algo: 'lokr' } : { algo: 'lokr', factor: String(lokr.factor) };
    return { ss_network_module: 'lycoris.kohya', ss_network_args: JSON.stringify(args) };
  }
  if (!dora) return { ss_network_module: 'networks.lora' };
  return {
    ss_network_module: 'lycoris.kohya',
    ss_network_args: JSON.stringify({ algo: 'lora', dora_wd: 'True', wd_on_output: 'True' }),
  };
}

/**
 * The metadata map kohya writes for an SD1.5 LoRA (train_network.py `metadata` + sai_model_spec.py),
 * every value a string. `nowIso` is the ISO date for modelspec.date (callers pass the clock).
 */
export function buildKohyaMetadata(
  facts: LoraTrainingFacts,
  network: NetworkFacts,
  nowIso: string,
): Record<string, string> {
  const meta: Record<string, string> = {
    ...networkModuleMetadata(
      network.dora,
      network.algorithm === 'lokr' ? { factor: network.lokrFactor } : undefined,
    ),
    ss_network_dim: String(network.rank),
    ss_network_alpha: pythonFloatRepr(network.alpha),
    ss_base_model_version: 'sd_v1',
    ss_v2: pyBool(false),
    ss_output_name: facts.outputName,
    ss_sd_model_name: publicBaseName(facts.baseModel),
    ss_clip_skip: String(facts.clipSkip),
    ss_resolution: `(${facts.resolution}, ${facts.resolution})`,
    ss_num_train_images: String(facts.numTrainImages),
    ss_steps: String(facts.steps),
    ss_epoch: String(facts.epochs),
    ss_learning_rate: pythonFloatRepr(facts.learningRate),
    ...(network.unet === false ? {} : { ss_unet_lr: pythonFloatRepr(facts.learningRate) }),
    // not a kohya key (its --network_train_unet_only flag): kept, it says whether the file has a text-encoder part
    ss_network_train_unet_only: pyBool(!network.textEncoder),
    ss_min_snr_gamma: pythonFloatRepr(facts.snrGamma),
    ss_noise_offset: pythonFloatRepr(facts.noiseOffset),
    ss_gradient_checkpointing: pyBool(facts.gradientCheckpointing),
    ss_mixed_precision: facts.mixedPrecision,
    ...kohyaRunSettings(facts),
    'modelspec.sai_model_spec': '1.0.1',
    'modelspec.architecture': 'stable-diffusion-v1/lora',
    'modelspec.implementation': 'diffusers',
    'modelspec.title': facts.title ?? facts.outputName,
    'modelspec.resolution': `${facts.resolution}x${facts.resolution}`,
    'modelspec.prediction_type': facts.predictionType === 'v_prediction' ? 'v' : 'epsilon',
    'modelspec.encoder_layer': String(facts.clipSkip),
    'modelspec.date': nowIso,
  };
  if (network.textEncoder) meta.ss_text_encoder_lr = pythonFloatRepr(facts.textEncoderLearningRate);
  if (facts.trainingStartedAt !== undefined)
    meta.ss_training_started_at = pythonFloatRepr(facts.trainingStartedAt);
  if (facts.trainingFinishedAt !== undefined)
    meta.ss_training_finished_at = pythonFloatRepr(facts.trainingFinishedAt);
  if (facts.trigger) meta['modelspec.trigger_phrase'] = facts.trigger;
  if (facts.captionsByFolder)
    meta.ss_tag_frequency = JSON.stringify(computeTagFrequency(facts.captionsByFolder));
  // kohya's train_util: {"<folder>": {"n_repeats": N, "img_count": M}}, keyed by the folder's base name
  if (facts.datasetDirs) meta.ss_dataset_dirs = JSON.stringify(facts.datasetDirs);
  if (facts.bucketInfo) meta.ss_bucket_info = kohyaBucketInfo(facts.bucketInfo);
  if (facts.baseModelHash) meta.ss_sd_model_hash = facts.baseModelHash;
  if (facts.baseModelSha256) meta.ss_new_sd_model_hash = facts.baseModelSha256;
  if (facts.maxTrainSteps !== undefined) meta.ss_max_train_steps = String(facts.maxTrainSteps);
  if (facts.numEpochs !== undefined) meta.ss_num_epochs = String(facts.numEpochs);
  if (facts.sessionId !== undefined) meta.ss_session_id = String(facts.sessionId);
  return meta;
}

/**
 * The metadata keys each training fact sets in {@link buildKohyaMetadata} (`outputName` is also the
 * default `modelspec.title`). Used to lay only the facts a caller gave over a file's own metadata.
 */
export const FACT_METADATA_KEYS: Readonly<Record<keyof LoraTrainingFacts, readonly string[]>> = {
  baseModel: ['ss_sd_model_name'],
  resolution: ['ss_resolution', 'modelspec.resolution'],
  steps: ['ss_steps'],
  learningRate: ['ss_learning_rate', 'ss_unet_lr'],
  textEncoderLearningRate: ['ss_text_encoder_lr'],
  snrGamma: ['ss_min_snr_gamma'],
  noiseOffset: ['ss_noise_offset'],
  gradientCheckpointing: ['ss_gradient_checkpointing'],
  mixedPrecision: ['ss_mixed_precision'],
  clipSkip: ['ss_clip_skip', 'modelspec.encoder_layer'],
  outputName: ['ss_output_name', 'modelspec.title'],
  title: ['modelspec.title'],
  epochs: ['ss_epoch'],
  numTrainImages: ['ss_num_train_images'],
  trigger: ['modelspec.trigger_phrase'],
  trainingStartedAt: ['ss_training_started_at'],
  trainingFinishedAt: ['ss_training_finished_at'],
  captionsByFolder: ['ss_tag_frequency'],
  datasetDirs: ['ss_dataset_dirs'],
  seed: ['ss_seed'],
  batchSize: ['ss_batch_size_per_device', 'ss_total_batch_size'],
  gradientAccumulation: ['ss_gradient_accumulation_steps', 'ss_total_batch_size'],
  lrScheduler: ['ss_lr_scheduler'],
  lrWarmupSteps: ['ss_lr_warmup_steps'],
  shuffleCaptions: ['ss_shuffle_caption'],
  aspectRatioBuckets: ['ss_enable_bucket'],
  cacheLatents: ['ss_cache_latents'],
  baseModelHash: ['ss_sd_model_hash'],
  baseModelSha256: ['ss_new_sd_model_hash'],
  // modelspec.prediction_type is also the network's (epsilon unless told): convert-plan.ts factsOverFileMetadata
  predictionType: ['modelspec.prediction_type'],
  maxTrainSteps: ['ss_max_train_steps'],
  numEpochs: ['ss_num_epochs'],
  sessionId: ['ss_session_id'],
  bucketInfo: ['ss_bucket_info'],
  optimizer: ['ss_optimizer'],
  maxGradNorm: ['ss_max_grad_norm'],
  maxTokenLength: ['ss_max_token_length'],
};

/** The facts a caller actually gave (keys present and not undefined), before schema defaults. */
export function givenFacts(input: Readonly<Record<string, unknown>>): Array<keyof LoraTrainingFacts> {
  return Object.keys(input).filter(
    (k): k is keyof LoraTrainingFacts => Object.hasOwn(FACT_METADATA_KEYS, k) && input[k] !== undefined,
  );
}

/**
 * `built` ({@link buildKohyaMetadata}) without the keys of facts the caller did not give, so a schema
 * default (noise offset 0.1, epoch 1, 0 train images, ...) is never written as if the run had it. The
 * network's own keys (ss_network_*, modelspec.architecture, ...) stay: they come from the tensors. A
 * key shared by several facts (modelspec.title: title or outputName) stays when any of them was given.
 */
export function onlyGivenFacts(
  built: Readonly<Record<string, string>>,
  given: readonly (keyof LoraTrainingFacts)[],
): Record<string, string> {
  const kept = new Set(given.flatMap((fact) => FACT_METADATA_KEYS[fact]));
  const absent = new Set(
    (Object.keys(FACT_METADATA_KEYS) as (keyof LoraTrainingFacts)[])
      .flatMap((fact) => FACT_METADATA_KEYS[fact])
      .filter((key) => !kept.has(key)),
  );
  return Object.fromEntries(Object.entries(built).filter(([key]) => !absent.has(key)));
}

/**
 * `written` with the keys of the facts not `given` taken from `record` (a run's own kohya file) where it
 * has them: a fact the caller left out is the run's recorded one, or absent, never a default. The
 * network's keys and the date stay `written`'s: they describe the file being written.
 */
export function withRecordedFacts(
  written: Readonly<Record<string, string>>,
  record: Readonly<Record<string, string>>,
  given: readonly (keyof LoraTrainingFacts)[],
): Record<string, string> {
  const result: Record<string, string> = { ...written };
  for (const fact of Object.keys(FACT_METADATA_KEYS) as (keyof LoraTrainingFacts)[]) {
    if (given.includes(fact)) continue;
    for (const key of FACT_METADATA_KEYS[fact]) {
      const value = record[key];
      if (value !== undefined && result[key] === undefined) result[key] = value;
    }
  }
  return result;
}

/**
 * `existing` metadata (a file's own ss_* / modelspec.*) with the keys of the `given` facts replaced
 * or added from `built` ({@link buildKohyaMetadata} of those facts). Every other key keeps the file's
 * value: no schema default (noise offset, epochs, base model, ...) is written as if it were the file's.
 * (`built`'s modelspec.title is the title given, else the output name, so giving both keeps the title.)
 */
export function overlayTrainingFacts(
  existing: Readonly<Record<string, string>>,
  built: Readonly<Record<string, string>>,
  given: readonly (keyof LoraTrainingFacts)[],
): Record<string, string> {
  const result: Record<string, string> = { ...existing };
  for (const fact of given) {
    for (const key of FACT_METADATA_KEYS[fact]) {
      const value = built[key];
      if (value !== undefined) result[key] = value;
    }
  }
  return result;
}

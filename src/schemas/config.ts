// src/schemas/config.ts — the one source of truth for every prep / training / generation setting
// and its default (SPEC §1, §2, §4). CLI flags, config files, API bodies and the Python worker's
// requests all parse through these schemas; TypeScript types are inferred from them.
import { z } from 'zod';
import { WHOLE_MESSAGE } from './issue-words.js';

/** UNet attention projections the LoRA adapts (SPEC §2): 4 per attention, attn1 + attn2, 16 blocks. */
export const LORA_TARGET_MODULES = ['to_q', 'to_k', 'to_v', 'to_out.0'] as const;
/** The adapter kinds training makes (lora.algorithm). */
export const LORA_ALGORITHMS = ['lora', 'lokr'] as const;
export const DEFAULT_BASE_MODEL = 'stablediffusionapi/anything-v5';
/** The training seed; the sample images use it and the next one unless sampleSeeds says otherwise. */
export const DEFAULT_TRAINING_SEED = 42;
/** Images whose shorter side is below this are refused by prep and by the upload: nothing usable can be cropped at
 * 512 px (prep/decode.ts, jobs/upload-images.ts; GET /api/upload-limits reports it as `minSidePx`). */
export const MIN_IMAGE_SIDE_PX = 64;
/**
 * Sampling steps of the sample images a run renders every sampleEverySteps: fewer than generate's default (28),
 * since they only show progress and each pauses training. Not a setting; the worker reads it from the export
 * (scripts/export-config-schema.ts).
 */
export const TRAINING_SAMPLE_STEPS = 20;
/** Their classifier-free guidance scale (the value generate's guidanceScale defaults to, kept apart from it). */
export const TRAINING_SAMPLE_GUIDANCE_SCALE = 7;

export const segmenterSchema = z.enum(['auto', 'isnet-anime', 'u2net', 'classic']);
export const captionerSchema = z.enum(['auto', 'none', 'wd14', 'blip', 'blip+wd14']);
/** largest: one crop of the biggest character; all: one crop per character (person detector, else mask parts). */
export const charactersSchema = z.enum(['largest', 'all']);
/** What fills text over art: LaMa (learned, keeps texture) or OpenCV Navier-Stokes (smooth); auto = lama when downloaded. */
export const inpainterSchema = z.enum(['auto', 'lama', 'opencv']);
export const mixedPrecisionSchema = z.enum(['no', 'fp16', 'bf16']);
export const schedulerSchema = z.enum(['dpmpp_2m_karras', 'euler_a', 'euler', 'ddim', 'pndm']);
export const lrSchedulerSchema = z.enum(['cosine', 'constant', 'linear', 'cosine_with_restarts']);

/**
 * The control characters (Unicode Cc: U+0000-U+001F, U+007F-U+009F) as a character-class body. Spelled as
 * ranges, not \p{Cc}, so the JSON Schema `pattern` in /openapi.json compiles in every regex dialect (Python
 * `re`, most code generators); the same characters as \p{Cc}.
 */
export const CONTROL_CHAR_RANGES = '\\u0000-\\u001f\\u007f-\\u009f';

const positiveInt = (max: number) => z.number().int().min(1).max(max);
/** A step count or interval; 0 turns the feature off. Capped well above any run (steps max 1M). */
const stepCount = z.number().int().min(0).max(10_000_000);
/** A random seed: what torch.Generator.manual_seed and the samplers take (uint32 here). */
const seedSchema = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

export const prepConfigSchema = z.object({
  /**
   * Trigger word put first in every caption, e.g. `sks`. One word: kohya, this trainer and the LoRA's
   * metadata read it from the folder name `<repeats>_<trigger> <class>` up to the first space.
   */
  trigger: z
    .string()
    .trim()
    // abort: an empty word fails once, not again for the pattern below
    .min(1, { error: 'must not be empty', abort: true })
    .max(64)
    // control characters (NUL, CR, DEL, ...) end up in folder names and captions (a NUL makes every file call
    // fail); < > : " | ? * make a dataset folder that cannot be copied to Windows
    .regex(
      new RegExp(`^[^,\\s/\\\\<>:"|?*${CONTROL_CHAR_RANGES}]+$`, 'u'),
      'one word: no spaces (the folder name `<repeats>_<trigger> <class>` ends the trigger at the first space; write sks_girl), commas, slashes, characters Windows refuses in folder names (< > : " | ? *), newlines or other control characters',
    )
    .default('sks'),
  /** Class word of the kohya folder name (`10_sks girl`). */
  classWord: z
    .string()
    .trim()
    // abort: an empty word fails once, not again for the pattern below
    .min(1, { error: 'must not be empty', abort: true })
    .max(64)
    .regex(
      new RegExp(`^[^,/\\\\<>:"|?*${CONTROL_CHAR_RANGES}]+$`, 'u'),
      'no commas, slashes, characters Windows refuses in folder names (< > : " | ? *), newlines or other control characters',
    )
    // it ends the folder name, and Windows drops a name's trailing dots (a trailing space is trimmed above)
    .refine((word) => !word.endsWith('.'), {
      error:
        'must not end in a dot: it ends the dataset folder name `<repeats>_<trigger> <class>`, and Windows drops trailing dots from folder names',
    })
    .default('girl'),
  /** Square training resolution in pixels; SD1.5 trains at 512. */
  resolution: z.number().int().min(64).max(2048).multipleOf(8).default(512),
  /** kohya repeats: how many times each image is seen per epoch. */
  repeats: positiveInt(1000).default(10),
  segmenter: segmenterSchema.default('auto'),
  captioner: captionerSchema.default('auto'),
  characters: charactersSchema.default('largest'),
  /** Margin around the character's box, as a fraction of its longer side. */
  cropMargin: z.number().min(0).max(1).default(0.1),
  /** Pixels the text mask grows by before inpainting, to cover whole glyphs. */
  textDilatePx: z.number().int().min(0).max(64).default(4),
  inpainter: inpainterSchema.default('auto'),
  /** OpenCV inpaint radius (INPAINT_NS). */
  inpaintRadius: z.number().int().min(1).max(32).default(3),
  /** Skip near-duplicate crops (consecutive frames). */
  dedupe: z.boolean().default(true),
  /** Threads that analyse files at once (each with its own models): `auto` = one per core, at most 4, one per 16 files (prep/analysis-pool.ts). */
  workers: z
    .union([z.literal('auto'), positiveInt(64)], {
      error: 'expected "auto" or a whole number of threads from 1 to 64',
    })
    .default('auto'),
  /** Largest accepted input in pixels (width x height), against decompression bombs. */
  maxInputPixels: z.number().int().min(1).default(40_000_000),
  /** How a manga page's panels in a row are numbered (crops `-p01`, `-p02`, ...): `left-to-right` (as before, and
   * as Western comics and webtoons read), or `right-to-left` (Japanese manga's reading order). */
  pageReadingOrder: z.enum(['left-to-right', 'right-to-left']).default('left-to-right'),
  blip: z
    .object({ maxLength: positiveInt(512).default(50), numBeams: positiveInt(16).default(3) })
    .prefault({}),
  wd14: z
    .object({
      generalThreshold: z.number().min(0).max(1).default(0.35),
      characterThreshold: z.number().min(0).max(1).default(0.85),
    })
    .prefault({}),
});

export const loraConfigSchema = z
  .object({
    /** LoRA rank r (recommended 8-64). */
    rank: positiveInt(256).default(32),
    /** LoRA alpha; the effective scale is alpha / rank. Left out, alpha = rank (scale 1). */
    alpha: z.number().positive().max(4096).optional(),
    targetModules: z
      .array(z.enum(LORA_TARGET_MODULES))
      .min(1)
      .default([...LORA_TARGET_MODULES]),
    /** Weight-decomposed LoRA (PEFT `use_dora`); LoRA only. */
    dora: z.boolean().default(false),
    /**
     * The adapter: `lora` (low-rank B·A) or `lokr` (LyCORIS' Kronecker product w1 ⊗ w2, PEFT LoKrConfig; the
     * kohya file is a LyCORIS LoKr file, which the WebUI, ComfyUI and toonlora's generation load). For LoKr,
     * `rank` bounds the second factor: it is stored as a full matrix when rank >= half its larger side,
     * else as a rank-`rank` product.
     */
    algorithm: z.enum(LORA_ALGORITHMS).default('lora'),
    /**
     * LoKr's decompose factor (LyCORIS `factor`, PEFT `decompose_factor`): the first Kronecker factor's side
     * (a 320-wide layer splits 8 x 40 at 8); -1 splits each side near its square root (16 x 20), the smallest file.
     */
    lokrFactor: z
      .number()
      .int()
      .min(-1)
      .max(1024)
      .refine((v) => v !== 0, { message: 'must be -1 (near square) or a positive side' })
      .default(-1),
  })
  .superRefine((lora, ctx) => {
    if (lora.dora && lora.algorithm !== 'lora')
      ctx.addIssue({
        code: 'custom',
        path: ['dora'],
        message: `dora works with algorithm "lora" only, not "${lora.algorithm}"; turn dora off (no --dora) or train a LoRA (no --lokr)`,
        params: {
          [WHOLE_MESSAGE]: true,
          [API_MESSAGE]: `dora works with algorithm "lora" only, not "${lora.algorithm}"; turn dora off or set algorithm to "lora"`,
        },
      });
  });

export const trainingConfigSchema = z.object({
  /** Hugging Face id (diffusers layout), a single-file .safetensors path, or `tiny` for tests. */
  baseModel: z.string().min(1).default(DEFAULT_BASE_MODEL),
  lora: loraConfigSchema.prefault({}),
  resolution: z.number().int().min(64).max(2048).multipleOf(8).default(512),
  steps: positiveInt(1_000_000).default(1500),
  /**
   * Training length in epochs instead of steps (an epoch: every image times its folder's repeats).
   * When set, steps = ceil(epochs * images * repeats / (batchSize * gradientAccumulation)); --steps must not be given too.
   */
  epochs: positiveInt(100_000).optional(),
  batchSize: positiveInt(64).default(1),
  gradientAccumulation: positiveInt(64).default(1),
  learningRate: z.number().positive().max(1).default(1e-4),
  lrScheduler: lrSchedulerSchema.default('cosine'),
  /**
   * Cosine cycles of lrScheduler cosine_with_restarts (kohya's --lr_scheduler_num_cycles): the rate falls to 0 and jumps
   * back to learningRate this many times. 1 is one cosine, the same as `cosine`; other schedulers refuse another value.
   */
  lrSchedulerNumCycles: positiveInt(1000).default(1),
  lrWarmupSteps: stepCount.default(0),
  trainTextEncoder: z.boolean().default(false),
  textEncoderLearningRate: z.number().positive().max(1).default(5e-5),
  /** Min-SNR loss weighting gamma (Hang et al. 2023); 0 turns it off. */
  snrGamma: z.number().min(0).max(100).default(5.0),
  /** Offset noise strength: noise + offset * randn(B, C, 1, 1). */
  noiseOffset: z.number().min(0).max(1).default(0.1),
  gradientCheckpointing: z.boolean().default(true),
  /**
   * torch.compile the UNet for the training step: on a GPU with CUDA graphs (mode reduce-overhead),
   * against the per-kernel launch cost that bounds a batch-1 LoRA step. The first step then takes a
   * minute or more to compile; needs a C/C++ compiler. Off until measured on a GPU (bench/train_speed.py --compile).
   * A DoRA run stays eager (PEFT's DoRA layers break the graph in each layer), gradientAccumulation > 1
   * compiles without CUDA graphs (a replay can overwrite accumulated gradients), and a compile that fails on
   * the first step falls back to eager; the worker says so.
   */
  compile: z.boolean().default(false),
  mixedPrecision: mixedPrecisionSchema.default('fp16'),
  clipSkip: z.number().int().min(1).max(12).default(2),
  /** Cache the VAE latents once (text embeddings are encoded ahead whenever the text encoder is frozen). */
  cacheLatents: z.boolean().default(true),
  /**
   * Aspect-ratio buckets (kohya's enable_bucket): each image trains at the size nearest its aspect ratio (sides
   * in steps of 64, area up to resolution², e.g. 384x640 for a tall full-body crop), cropped only to that ratio;
   * a batch holds one bucket. Off: every image is centre-cropped to a square (which cuts tall images).
   */
  aspectRatioBuckets: z.boolean().default(true),
  shuffleCaptions: z.boolean().default(true),
  seed: seedSchema.default(DEFAULT_TRAINING_SEED),
  sampleEverySteps: stepCount.default(250),
  checkpointEverySteps: stepCount.default(250),
  /** Keep only the newest N checkpoint folders of a run (older ones are removed, and the run says which); 0 keeps all. */
  keepCheckpoints: z.number().int().min(0).max(10_000).default(0),
  /** Sample prompts; left empty, the dataset's trigger and class word (`sks girl`). */
  samplePrompts: z.array(z.string()).default([]),
  /** Fixed seeds of the sample images, one image per prompt and seed: the same every time, so samples compare across steps. */
  sampleSeeds: z
    .array(seedSchema)
    .min(1)
    .max(16)
    .default([DEFAULT_TRAINING_SEED, DEFAULT_TRAINING_SEED + 1]),
});

/**
 * The warmup must leave training steps at the full rate (the worker's config.check_warmup, which checks again once
 * epochs became steps). Only with steps given: under epochs the step count is known once the dataset is read. Only
 * with both counts valid: zod runs the refinement after a field failed, and `--steps 0` then read "0 warmup steps
 * leave none of the 0 training steps" under the one error that matters (steps must be at least 1).
 */
export function checkWarmupLeavesSteps(
  config: { readonly steps: number | null; readonly epochs?: number | null; readonly lrWarmupSteps: number },
  ctx: z.RefinementCtx,
): void {
  if (config.epochs != null || config.steps === null || config.lrWarmupSteps < config.steps) return;
  if (!isCount(config.steps, 1) || !isCount(config.lrWarmupSteps, 0)) return; // its own issue says what is wrong
  const facts = `${config.lrWarmupSteps} warmup steps leave none of the ${config.steps} training steps at the full rate`;
  ctx.addIssue({
    code: 'custom',
    path: ['lrWarmupSteps'],
    message: `${facts}; lower it below ${config.steps}, or raise --steps`,
    params: {
      [WHOLE_MESSAGE]: true,
      // a request's words (src/issue-lines.ts formatIssues): the API and the web app have no flags
      [API_MESSAGE]: `${facts}; lower it below ${config.steps}, or raise params.training.steps`,
    },
  });
}

/** The key of a custom zod issue's `params` that holds its message in a request's words, when the message names a
 * CLI flag (route-schema.ts answers a request with it). */
export const API_MESSAGE = 'apiMessage';

/**
 * lrSchedulerNumCycles other than 1 only with cosine_with_restarts, the one schedule that has cycles (the worker's
 * config.check_cycles says the same): another one would train without the restarts asked for and not say so.
 */
export function checkCyclesScheduler(
  config: { readonly lrScheduler: string; readonly lrSchedulerNumCycles: number },
  ctx: z.RefinementCtx,
): void {
  if (config.lrSchedulerNumCycles === 1 || config.lrScheduler === 'cosine_with_restarts') return;
  if (!isCount(config.lrSchedulerNumCycles, 1)) return; // its own issue says what is wrong
  ctx.addIssue({
    code: 'custom',
    path: ['lrSchedulerNumCycles'],
    message: `${config.lrSchedulerNumCycles} cycles work with lrScheduler cosine_with_restarts only, not ${config.lrScheduler}; set lrScheduler to cosine_with_restarts, or remove lrSchedulerNumCycles`,
    params: { [WHOLE_MESSAGE]: true },
  });
}

function isCount(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

/**
 * trainingConfigSchema with its cross-field rule: what a user's training settings (config file and flags) parse
 * through. trainingConfigSchema stays a plain object because the worker's resolved config (src/worker/protocol.ts)
 * and the kohya metadata derive from it with .extend / .pick, which zod refuses on a refined object.
 */
export const checkedTrainingConfigSchema = trainingConfigSchema
  .superRefine(checkWarmupLeavesSteps)
  .superRefine(checkCyclesScheduler);

/** The two settings that give the training length: one run has one length. */
export const TRAINING_LENGTH_KEYS = ['steps', 'epochs'] as const;

/**
 * The training-length keys a training section sets before defaults are applied (steps has a default, so the
 * parsed config cannot tell): a config file, the flags and an API body each may set at most one.
 */
export function trainingLengthKeysSet(training: unknown): (typeof TRAINING_LENGTH_KEYS)[number][] {
  if (typeof training !== 'object' || training === null || Array.isArray(training)) return [];
  return TRAINING_LENGTH_KEYS.filter((key) => (training as Record<string, unknown>)[key] !== undefined);
}

/** What a config file, the flags and an API body all say when both are set: `<steps> and <epochs> both set ...`. */
export function bothTrainingLengthsMessage(steps: string, epochs: string, verb: 'Keep' | 'Give'): string {
  return `${steps} and ${epochs} both set the training length. ${verb} only one of them.`;
}

/** Prompts far past CLIP's 77 tokens are a mistake (a pasted file), not a prompt. */
const PROMPT_MAX_CHARS = 4000;
/** Images per generate call: the seeds render as one batch. */
const MAX_GENERATION_SEEDS = 16;

export const generationConfigSchema = z.object({
  baseModel: z.string().min(1).default(DEFAULT_BASE_MODEL),
  prompt: z.string().max(PROMPT_MAX_CHARS).default(''),
  negativePrompt: z
    .string()
    .max(PROMPT_MAX_CHARS)
    .default('lowres, bad anatomy, bad hands, worst quality, low quality, jpeg artifacts'),
  /** LoRA strength multiplier applied on top of alpha / rank. */
  loraWeight: z.number().min(-4).max(4).default(0.8),
  steps: positiveInt(500).default(28),
  guidanceScale: z.number().min(0).max(50).default(7),
  width: z.number().int().min(64).max(2048).multipleOf(8).default(512),
  height: z.number().int().min(64).max(2048).multipleOf(8).default(512),
  /** Use the penultimate CLIP layer (clip skip 2), as anime checkpoints expect. */
  clipSkip: z.number().int().min(1).max(12).default(2),
  /** Keep the VAE in float32: an fp16 VAE gives over-saturated ("fried") colours (SPEC §4). */
  vaeFp32: z.boolean().default(true),
  scheduler: schedulerSchema.default('dpmpp_2m_karras'),
  /** One image per seed, rendered as one batch (so the count bounds GPU memory), plus a grid. */
  seeds: z.array(seedSchema).min(1).max(MAX_GENERATION_SEEDS).default([42]),
});

/** A whole config file: `[prep]`, `[training]`, `[generation]` sections, each optional. */
export const toonloraConfigSchema = z.object({
  prep: prepConfigSchema.prefault({}),
  training: checkedTrainingConfigSchema.prefault({}),
  generation: generationConfigSchema.prefault({}),
});

export type PrepConfig = z.infer<typeof prepConfigSchema>;
export type LoraConfig = z.infer<typeof loraConfigSchema>;
export type TrainingConfig = z.infer<typeof trainingConfigSchema>;
export type GenerationConfig = z.infer<typeof generationConfigSchema>;
export type ToonloraConfig = z.infer<typeof toonloraConfigSchema>;
export type ToonloraConfigInput = z.input<typeof toonloraConfigSchema>;

/** alpha / rank, with alpha defaulting to rank (SPEC §2). */
export function effectiveLoraAlpha(lora: LoraConfig): number {
  return lora.alpha ?? lora.rank;
}

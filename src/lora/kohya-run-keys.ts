// src/lora/kohya-run-keys.ts — kohya's value formats (pure): Python repr of floats and booleans, the base's name as
// ss_sd_model_name records it (never a local path), ss_bucket_info as kohya's json.dumps writes it, and the run
// settings kohya's train_network.py records (seed, batch sizes, schedule, optimizer, caption and cache switches).
import { z } from 'zod';
import type { LoraTrainingFacts } from './kohya-metadata.js';

/** Python `repr(float)`: shortest round-trip digits, exponent form below 1e-4 or from 1e16 (`1e-05`). */
export function pythonFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exp] = value.toExponential().split('e') as [string, string];
  const decimalPoint = Number(exp) + 1;
  if (decimalPoint > -4 && decimalPoint <= 16) {
    // JS prints fixed notation for 1e-6 <= |x| < 1e21, which covers this range.
    const fixed = String(value);
    return fixed.includes('.') ? fixed : `${fixed}.0`;
  }
  const e = Number(exp);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

export const pyBool = (value: boolean): string => (value ? 'True' : 'False');

/**
 * The base as ss_sd_model_name records it: a path (absolute, `./`, `../`, `~`, a Windows drive, or a `.safetensors`
 * / `.ckpt` file) by its last part only, as kohya writes `os.path.basename` of a local base, so a shared LoRA never
 * carries the trainer's home folder; a Hub id (`owner/name`, `owner/name@<commit>`) or registry id as it is.
 */
export function publicBaseName(base: string): string {
  const isPath = /^(\.{1,2}[\\/]|~|[\\/]|[A-Za-z]:[\\/])/.test(base) || /\.(safetensors|ckpt)$/i.test(base);
  if (!isPath) return base;
  const parts = base.split(/[\\/]+/).filter((part) => part !== '');
  return parts.at(-1) ?? base;
}

/**
 * The buckets a run trained (trainer buckets.py bucket_info, sent in the `done` facts): each bucket's size and images
 * counting repeats, sorted by (width, height), and the mean |bucket aspect ratio - image aspect ratio| over the images.
 */
export const bucketInfoSchema = z.strictObject({
  buckets: z.array(
    z.strictObject({
      resolution: z.tuple([z.number().int().min(1), z.number().int().min(1)]),
      count: z.number().int().min(0),
    }),
  ),
  mean_img_ar_error: z.number().min(0),
});
export type BucketInfo = z.infer<typeof bucketInfoSchema>;

/**
 * ss_bucket_info as kohya writes it (train_util.py: `{"buckets": {i: {"resolution": (w, h), "count": n}},
 * "mean_img_ar_error": e}` through json.dumps, so keys are strings, tuples lists, and `, ` / `: ` separate): the
 * WebUI's and ComfyUI's LoRA info dialogs read the resolutions from it.
 */
export function kohyaBucketInfo(info: BucketInfo): string {
  const buckets = info.buckets.map(
    (b, i) => `"${i}": {"resolution": [${b.resolution[0]}, ${b.resolution[1]}], "count": ${b.count}}`,
  );
  return `{"buckets": {${buckets.join(', ')}}, "mean_img_ar_error": ${pythonFloatRepr(info.mean_img_ar_error)}}`;
}

/** kohya's ss_max_token_length: None for CLIP's own 75 tokens (its default), else the longer limit (150, 225). */
function maxTokenLength(tokens: number): string {
  return tokens === 75 ? 'None' : String(tokens);
}

/**
 * The run settings train_network.py records, in its formats: ints as str(), bools as True / False, the optimizer as
 * `module.Class` (ss_optimizer), the grad-norm clip as a float. The settings facts always have a value (the schema's
 * defaults); the trainer's own facts (optimizer, clip, token limit) are written only when given.
 */
export function kohyaRunSettings(facts: LoraTrainingFacts): Record<string, string> {
  const meta: Record<string, string> = {
    ss_seed: String(facts.seed),
    ss_batch_size_per_device: String(facts.batchSize),
    // one process: kohya's train_batch_size x num_processes x gradient_accumulation_steps
    ss_total_batch_size: String(facts.batchSize * facts.gradientAccumulation),
    ss_gradient_accumulation_steps: String(facts.gradientAccumulation),
    ss_lr_scheduler: facts.lrScheduler,
    ss_lr_warmup_steps: String(facts.lrWarmupSteps),
    ss_shuffle_caption: pyBool(facts.shuffleCaptions),
    ss_enable_bucket: pyBool(facts.aspectRatioBuckets),
    ss_cache_latents: pyBool(facts.cacheLatents),
  };
  if (facts.optimizer !== undefined) meta.ss_optimizer = facts.optimizer;
  if (facts.maxGradNorm !== undefined) meta.ss_max_grad_norm = pythonFloatRepr(facts.maxGradNorm);
  if (facts.maxTokenLength !== undefined) meta.ss_max_token_length = maxTokenLength(facts.maxTokenLength);
  return meta;
}

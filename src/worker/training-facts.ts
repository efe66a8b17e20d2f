// src/worker/training-facts.ts — the `facts` a training run's `done` carries (trainer/toonlora_trainer/protocol.py
// TrainingFacts is the other side): what the run trained, read once by the trainer's dataset scan, from which train.ts
// writes the kohya metadata. No second reading of the dataset folder on this side.
import { z } from 'zod';
import { bucketInfoSchema } from '../lora/kohya-run-keys.js';
import { mixedPrecisionSchema } from '../schemas/config.js';

/** One kohya folder a training run trained (`5_sks girl`), as the trainer's scan read it (protocol.py TrainedFolder). */
export const trainedFolderSchema = z.strictObject({
  folder: z.string().min(1),
  repeats: z.number().int().min(1),
  trigger: z.string().min(1),
  /** Each trained image's caption as read (unshuffled; the folder's `<trigger> <class>` when it has none), in name order. */
  captions: z.array(z.string()).min(1),
});
/**
 * What a training run trained (protocol.py TrainingFacts), the one source of the kohya metadata's dataset facts: the
 * folders with a trained image (name order), each folder's trigger once, the images without and with repeats
 * (ss_num_train_images), the precision the steps really ran in (`no` on a CPU: ss_mixed_precision), the prediction type,
 * optimizer, clip and token limit of the trainer, and the buckets.
 */
export const trainingFactsSchema = z.strictObject({
  folders: z.array(trainedFolderSchema),
  triggers: z.array(z.string()),
  images: z.number().int().min(0),
  images_with_repeats: z.number().int().min(0),
  mixed_precision: mixedPrecisionSchema,
  /** What the UNet learnt to predict, from the base's scheduler (modelspec.prediction_type `v` or `epsilon`). */
  prediction_type: z.enum(['epsilon', 'v_prediction']),
  /** The trainer's optimizer as `module.Class` (ss_optimizer), its gradient-norm clip, and caption token limit. */
  optimizer: z.string().min(1),
  max_grad_norm: z.number().min(0),
  max_token_length: z.number().int().min(1),
  /** The aspect-ratio buckets the run trained (ss_bucket_info); null with aspectRatioBuckets off. */
  bucket_info: bucketInfoSchema.nullable(),
});
export type TrainingFacts = z.infer<typeof trainingFactsSchema>;

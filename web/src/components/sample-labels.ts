// web/src/components/sample-labels.ts — what tells a training run's sample images apart (pure): each `sample`
// event carries one image per prompt and seed, in the trainer's order (training_samples.py: for each prompt, for
// each seed), so an image's place in its event gives its prompt and seed ("step 5" alone named both the same).
import { trainingConfigSchema } from '../../../src/schemas/config.js';

/** A sample image as the Train page holds it: its step, and its place among the `count` images of that step. */
export interface SampleImage {
  step: number;
  url: string;
  index: number;
  count: number;
}

/** The run's sample prompts (empty: one per concept folder, from the dataset) and seeds, from a train job's params. */
export function sampleSettingsOf(params: Record<string, unknown>): { prompts: string[]; seeds: number[] } {
  const training = (params.training ?? {}) as Record<string, unknown>;
  const prompts = trainingConfigSchema.shape.samplePrompts.safeParse(training.samplePrompts);
  const seeds = trainingConfigSchema.shape.sampleSeeds.safeParse(training.sampleSeeds);
  return {
    prompts: prompts.success ? prompts.data : [],
    seeds: seeds.success ? seeds.data : trainingConfigSchema.shape.sampleSeeds.parse(undefined),
  };
}

/**
 * The caption under a sample image (`step 5 · seed 42`, with `prompt 2` when the step has several prompts) and
 * its alt text, which quotes the prompt when the job set it. An image the seeds do not account for (settings
 * changed on a resume) is numbered instead.
 */
export function sampleLabel(
  sample: Pick<SampleImage, 'step' | 'index' | 'count'>,
  settings: { prompts: readonly string[]; seeds: readonly number[] },
): { caption: string; alt: string } {
  const { seeds, prompts } = settings;
  const promptCount = seeds.length > 0 ? sample.count / seeds.length : 0;
  if (!Number.isInteger(promptCount) || promptCount === 0) {
    const caption = `step ${sample.step} · image ${sample.index + 1} of ${sample.count}`;
    return { caption, alt: `sample at ${caption}` };
  }
  const promptIndex = Math.floor(sample.index / seeds.length);
  const seed = seeds[sample.index % seeds.length];
  const promptPart = promptCount > 1 ? ` · prompt ${promptIndex + 1}` : '';
  const promptText = prompts[promptIndex];
  return {
    caption: `step ${sample.step}${promptPart} · seed ${seed}`,
    alt: `sample at step ${sample.step}, prompt ${promptIndex + 1}${promptText ? ` "${promptText}"` : ''}, seed ${seed}`,
  };
}

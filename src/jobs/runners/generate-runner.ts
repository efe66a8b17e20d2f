// src/jobs/runners/generate-runner.ts — the `generate` job: prompt + LoRA (at one weight or a sweep)
// -> the warm generation service -> image artifacts; the result carries the timing (base load paid
// or warm, LoRA swap, generation).
import { relative } from 'node:path';
import { ToonloraError } from '../../errors.js';
import { type GenerateJobParams, generateJobParamsSchema } from '../../schemas/api.js';
import { jobRelDir } from '../data-layout.js';
import type { JobContext } from '../job-queue.js';
import { resolveDataPath } from '../store.js';
import type { RunnerDeps } from './default-runners.js';

export function createGenerateRunner(deps: RunnerDeps) {
  return async (context: JobContext): Promise<Record<string, unknown>> => {
    const { job } = context;
    const generation = deps.generation;
    if (!generation) {
      throw new ToonloraError('TL_ERR_NOT_IMPLEMENTED', 'generate: this server has no generation worker.');
    }
    const params: GenerateJobParams = generateJobParamsSchema.parse(job.params);
    const loraPath = params.loraId ? deps.catalog.artifactFilePath(params.loraId) : undefined;
    const weights = params.weights ?? [params.generation.loraWeight];
    const total = weights.length * params.generation.seeds.length;
    context.progress({ step: 0, total, message: 'waiting for the generation worker' });
    const output = await generation.generate({
      generation: params.generation,
      loraPath,
      weights,
      outDir: resolveDataPath(deps.dataDir, `${jobRelDir(job.id)}/images`),
      signal: context.signal,
    });
    const images = output.images.map((image) =>
      deps.catalog.addArtifact({
        characterId: job.characterId,
        jobId: job.id,
        kind: 'image',
        name: `seed ${image.seed} · weight ${image.weight}`,
        path: relative(deps.dataDir, image.path).split('\\').join('/'),
        meta: {
          seed: image.seed,
          weight: image.weight,
          prompt: params.generation.prompt,
          loraId: params.loraId ?? null,
        },
      }),
    );
    context.progress({
      step: total,
      total,
      message: output.timing.warm ? 'warm worker' : 'base model loaded',
    });
    return { imageIds: images.map((image) => image.id), timing: output.timing };
  };
}

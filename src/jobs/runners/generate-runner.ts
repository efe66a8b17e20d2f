// src/jobs/runners/generate-runner.ts — the `generate` job: prompt + LoRA (at one weight or a sweep)
// -> the warm generation service -> image (and grid) artifacts, recorded batch by batch as they land
// (progress in one unit from start to end: the sampling steps of the whole sweep, the image count in its
// message), so a cancelled or failed sweep leaves no file without its artifact row; the worker's warnings (a
// prompt longer than CLIP reads) become the job's; the result carries the timing (base load paid or
// warm, LoRA swap, generation). A LoRA whose stored file is gone fails the job in the web app's words.
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { ToonloraError } from '../../errors.js';
import { checkBaseModelOnDisk } from '../../models/base-model.js';
import type { Job } from '../../schemas/api.js';
import { type GenerateJobParams, generateJobParamsSchema } from '../../schemas/api.js';
import { jobRelDir } from '../data-layout.js';
import { resolveDataPath } from '../data-path.js';
import { missingStoredFileMessage } from '../stored-files.js';
import type { GeneratedGrid, GeneratedImage, GenerationOutput, SamplingStep } from '../generation-service.js';
import type { JobContext } from '../job-queue.js';
import type { RunnerDeps } from './default-runners.js';
import { parseStoredJobParams } from '../stored-job-params.js';

/**
 * A sweep's progress over all its weights: the sampling steps of the batches before `s.batch` plus this
 * one's, out of every batch's (each renders `s.total` steps), and the ETA of what is left at `s.itPerS`
 * (seconds; null without a rate). A lone weight reads as before.
 */
export function sweepProgress(s: SamplingStep): { step: number; total: number; etaS: number | null } {
  const step = (s.batch - 1) * s.total + s.step;
  const total = s.batches * s.total;
  const etaS = s.itPerS && s.itPerS > 0 ? (total - step) / s.itPerS : s.etaS;
  return { step, total, etaS };
}

/** Records each generated file once as an artifact of the job (image or grid). */
function createArtifactRecorder(deps: RunnerDeps, job: Job, params: GenerateJobParams) {
  const seen = new Set<string>();
  const imageIds: string[] = [];
  const gridIds: string[] = [];
  const base = { prompt: params.generation.prompt, loraId: params.loraId ?? null };
  const add = (kind: 'image' | 'grid', name: string, path: string, meta: Record<string, unknown>) => {
    if (seen.has(path)) return;
    seen.add(path);
    const artifact = deps.catalog.addArtifact({
      characterId: job.characterId,
      jobId: job.id,
      kind,
      name,
      path: relative(deps.dataDir, path).split('\\').join('/'),
      meta: { ...meta, ...base },
    });
    (kind === 'image' ? imageIds : gridIds).push(artifact.id);
  };
  return {
    imageIds,
    gridIds,
    image: (image: GeneratedImage) =>
      add('image', `seed ${image.seed} · weight ${image.weight}`, image.path, {
        seed: image.seed,
        weight: image.weight,
      }),
    grid: (grid: GeneratedGrid) =>
      add('grid', `grid · weight ${grid.weight}`, grid.path, {
        weight: grid.weight,
        seeds: params.generation.seeds,
      }),
    /** What a service returned without reporting it batch by batch. */
    rest(output: GenerationOutput) {
      for (const image of output.images) this.image(image);
      for (const grid of output.grids ?? []) this.grid(grid);
    },
  };
}

/**
 * Checks that the stored file of LoRA artifact `name` is at `path` before the worker is asked (the worker's own
 * check speaks to the CLI: "Check --lora", a flag a web user has not got).
 * @throws ToonloraError TL_ERR_INPUT_NOT_FOUND naming the LoRA and the fix in the web app
 */
export function checkStoredLora(path: string, name: string): void {
  if (existsSync(path)) return;
  throw new ToonloraError(
    'TL_ERR_INPUT_NOT_FOUND',
    `${missingStoredFileMessage(`The file of LoRA "${name}"`)} Upload it again on the LoRA page, or train it again.`,
  );
}

export function createGenerateRunner(deps: RunnerDeps) {
  return async (context: JobContext): Promise<Record<string, unknown>> => {
    const { job } = context;
    const generation = deps.generation;
    if (!generation) {
      throw new ToonloraError('TL_ERR_NOT_IMPLEMENTED', 'generate: this server has no generation worker.');
    }
    const params: GenerateJobParams = parseStoredJobParams(generateJobParamsSchema, job);
    const loraPath = params.loraId ? deps.catalog.artifactFilePath(params.loraId) : undefined;
    const loraName = params.loraId ? deps.catalog.getArtifact(params.loraId).name : undefined;
    if (loraPath !== undefined && loraName !== undefined) checkStoredLora(loraPath, loraName);
    // before the worker loads; in the app's model cache, which the warm worker is handed too (modelCache below)
    checkBaseModelOnDisk('params.generation.baseModel', params.generation.baseModel, deps.modelCache);
    const weights = params.weights ?? [params.generation.loraWeight];
    const images = weights.length * params.generation.seeds.length;
    // step / total count sampling steps over the whole sweep (each weight's batch renders `steps` of them), from
    // the first event to the last, so the bar never changes unit; the image count goes in the message.
    const stepsPerBatch = params.generation.steps;
    const total = weights.length * stepsPerBatch;
    let batchesDone = 0;
    const recorder = createArtifactRecorder(deps, job, params);
    context.progress({ step: 0, total, message: 'waiting for the generation worker' });
    const warned = new Set<string>(); // a sweep's batches share the prompt, so its warning: once per job
    const output = await generation.generate({
      generation: params.generation,
      loraPath,
      ...(deps.modelCache ? { modelCache: deps.modelCache } : {}),
      ...(loraName !== undefined ? { loraName } : {}),
      weights,
      outDir: resolveDataPath(deps.dataDir, `${jobRelDir(job.id)}/images`),
      signal: context.signal,
      onBatch: (batch) => {
        for (const image of batch.images) recorder.image(image);
        if (batch.grid) recorder.grid(batch.grid);
        batchesDone += 1;
        context.progress({
          step: batchesDone * stepsPerBatch,
          total,
          message: `${recorder.imageIds.length}/${images} images`,
        });
      },
      // The job's warnings, listed under its status line (as a train job's are)
      onWarning: (message) => {
        if (warned.has(message)) return;
        warned.add(message);
        context.emit({ type: 'log', level: 'warn', message });
      },
      // step/total and the ETA span the whole sweep (a weight's own step is in the message, with the image count).
      onStep: (s) =>
        context.progress({
          ...sweepProgress(s),
          itPerS: s.itPerS,
          message: `weight ${s.weight} (${s.batch}/${s.batches}): sampling step ${s.step}/${s.total}; ${recorder.imageIds.length}/${images} images`,
        }),
    });
    recorder.rest(output);
    const made = recorder.imageIds.length;
    const done = output.stopped ? `stopped after ${made}/${images} images` : `${made}/${images} images`;
    context.progress({
      step: output.stopped ? batchesDone * stepsPerBatch : total,
      total,
      message: `${done}; ${output.timing.warm ? 'warm worker' : 'base model loaded'}`,
    });
    // stopped (cancelled, or the server shut down) before every image: not a finished job; its images stay
    if (output.stopped && context.signal.aborted) throw new Error('generation stopped');
    return { imageIds: recorder.imageIds, gridIds: recorder.gridIds, timing: output.timing };
  };
}

// src/jobs/runners/train-runner.ts — the `train` job: a dataset version (reviewed captions, excluded
// items left out) written in kohya layout -> runTraining (src/worker) in the job's run folder ->
// progress / samples / checkpoints as job events -> the kohya LoRA as an artifact (one row per file: a resumed
// job that had recorded it updates that row). A resumed attempt continues from the newest checkpoint in the same
// run folder; a succeeded run keeps its checkpoints' adapters, without their resume-only training state, until its
// LoRA is deleted (src/server/routes/loras removes them with it, and a resume then has nothing to continue from).
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ToonloraError } from '../../errors.js';
import type { Artifact } from '../../schemas/api-artifacts.js';
import { checkBaseModelOnDisk } from '../../models/base-model.js';
import { type TrainJobParams, trainJobParamsSchema } from '../../schemas/api.js';
import { effectiveLoraAlpha } from '../../schemas/config.js';
import type { WorkerEvent } from '../../worker/protocol.js';
import type { WorkerSpawn } from '../../worker/python-worker.js';
import { runTraining } from '../../worker/train.js';
import { removeResumeState, resumeStateRemovedMessage } from '../checkpoint-state.js';
import { jobRelDir } from '../data-layout.js';
import { datasetListed } from '../dataset-listed.js';
import { dataRel, resolveDataPath } from '../data-path.js';
import { forgetLoraDeleted, loraWasDeleted } from '../lora-deleted-note.js';
import { storedCheckpoint } from '../remote/checkpoint-store.js';
import type { JobContext } from '../job-queue.js';
import { trainingCopyRel, writeTrainingCopy } from '../training-copy.js';
import { checkSomeItemIncluded } from './train-included.js';
import type { RunnerDeps } from './default-runners.js';
import { parseStoredJobParams } from '../stored-job-params.js';

/** `mina_3f2a9c1d`: the run folder's name, which becomes the LoRA's file and `<lora:name>` name. */
export function loraNameFor(characterName: string, jobId: string): string {
  const slug = characterName
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '') // the accents NFKD split off: Ünïcode -> Unicode
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase()
    .slice(0, 40);
  return `${slug || 'lora'}_${jobId.replace(/-/g, '').slice(0, 8)}`;
}

/**
 * The run folder's name for job `job` (jobs/<id>/<name>): the folder its recorded checkpoint lies in, so a resume
 * continues where the run wrote even after the character was renamed (loraNameFor of the new name differs); with no
 * checkpoint recorded (a first run, or one that starts over), loraNameFor(characterName, job.id). The checkpoint is
 * `jobs/<id>/<name>/checkpoints/step-N` for a local run, `<worker>:<id>/<name>/checkpoints/step-N` for a remote one.
 */
export function runNameFor(
  job: { readonly id: string; readonly checkpoint: string | null },
  characterName: string,
): string {
  // a folder name of loraNameFor's characters only: a remote worker reports the path, and the name becomes a
  // server folder and the LoRA's file name
  const recorded = job.checkpoint?.match(
    /(?:^|[/\\:])([A-Za-z0-9_][A-Za-z0-9_.-]*)[/\\]checkpoints[/\\]step-[^/\\]+$/,
  );
  return recorded?.[1] ?? loraNameFor(characterName, job.id);
}

/** The line a deleted LoRA adds to the log of the train job that made it (src/server/routes/loras): words for the
 * user; a resume decides from the delete's note (src/jobs/lora-deleted-note.ts; for a remote run also the server's
 * kept checkpoint, src/jobs/remote/lease-board.ts), not from this line. */
export function loraDeletedLine(loraName: string): string {
  return `the LoRA ${loraName} was deleted; its weights and checkpoints were removed.`;
}

/** A resume with nothing to continue from: `gone` names what it would continue from, `why` how it went. */
function nothingToResumeFrom(jobId: string, gone: string, why: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `train job ${jobId}: nothing to resume from: ${gone} is gone${why}. Start a new train job instead.`,
  );
}

/** A resume of a job whose LoRA was deleted with its checkpoints (the delete's note says so,
 * src/jobs/lora-deleted-note.ts): `gone` names what it would continue from. Local and remote runs
 * (src/jobs/remote/lease-board.ts) say it alike. */
export function nothingToResume(jobId: string, gone: string): ToonloraError {
  return nothingToResumeFrom(
    jobId,
    gone,
    ' (the LoRA this job made was deleted, and its checkpoints with it)',
  );
}

/** A local resume whose checkpoints/ folder went with no LoRA delete recorded (removed from the data folder by
 * hand): it says the folder is gone, not why. */
export function checkpointsGone(jobId: string, gone: string): ToonloraError {
  return nothingToResumeFrom(jobId, gone, ' from the data folder');
}

/** The remote worker that wrote `checkpoint` (`<worker>:<path>`, lease-board.ts), or undefined for a local run's
 * (`jobs/<id>/…`). */
export function checkpointWorker(checkpoint: string | null): string | undefined {
  return checkpoint?.match(/^([^/\\:]+):(?![/\\])/)?.[1];
}

/** A resume, on a server that trains jobs itself, of a job whose checkpoint a remote worker wrote (`kept`: the zip
 * this server keeps of it, data-relative, if any): only a `--remote-workers` server continues it. */
export function remoteCheckpointHere(
  jobId: string,
  checkpoint: string,
  worker: string,
  kept: string | undefined,
): ToonloraError {
  const where = kept ? `this server keeps it as ${kept}` : `it is on ${worker}'s machine`;
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `train job ${jobId}: its checkpoint ${checkpoint} was written by the remote worker ${worker} (${where}), and ` +
      'this server trains jobs itself, without remote workers. Restart it with `toonlora serve --remote-workers` ' +
      '(and a `toonlora worker` on a GPU machine), then resume the job: a worker continues it from that checkpoint.',
  );
}

/**
 * Throws when a local resume of `job` in `runDir` has nothing to continue from: the LoRA it made was deleted (the
 * delete's note, read before checkpoints/: a resume sent while the delete removes them still finds some), its
 * checkpoint is a remote worker's (a server started without --remote-workers), or checkpoints/ is gone.
 */
async function checkResumable(
  dataDir: string,
  job: { readonly id: string; readonly checkpoint: string | null },
  runDir: string,
): Promise<void> {
  const checkpoints = `${dataRel(dataDir, runDir)}/checkpoints`;
  if (loraWasDeleted(runDir)) throw nothingToResume(job.id, checkpoints);
  if (existsSync(join(runDir, 'checkpoints'))) return;
  const worker = checkpointWorker(job.checkpoint);
  if (worker && job.checkpoint) {
    const kept = await storedCheckpoint(runDir);
    throw remoteCheckpointHere(
      job.id,
      job.checkpoint,
      worker,
      kept ? dataRel(dataDir, kept.file) : undefined,
    );
  }
  throw checkpointsGone(job.id, checkpoints);
}

function handleEvent(deps: RunnerDeps, context: JobContext, event: WorkerEvent): void {
  const toRel = (path: string) => dataRel(deps.dataDir, path);
  if (event.type === 'progress') {
    context.progress({
      step: event.step,
      total: event.total,
      loss: event.loss,
      lr: event.lr,
      itPerS: event.it_per_s,
      etaS: event.eta_s,
    });
  } else if (event.type === 'checkpoint') {
    context.emit({ type: 'checkpoint', step: event.step, path: toRel(event.path) });
  } else if (event.type === 'log') {
    context.emit({ type: 'log', level: event.level, message: event.message });
  } else if (event.type === 'sample') {
    recordSamples(deps, context, event.step, event.paths);
  }
}

/** Sample images written under the data folder (absolute paths): the job's `sample` artifacts and its `sample`
 * event, which the Train page shows. Local runs and remote workers' uploads (src/jobs/remote) record them so. */
export function recordSamples(
  deps: Pick<RunnerDeps, 'catalog' | 'dataDir'>,
  context: JobContext,
  step: number,
  paths: readonly string[],
): Artifact[] {
  const toRel = (path: string) => dataRel(deps.dataDir, path);
  const samples = paths.map((path) =>
    deps.catalog.addArtifact({
      characterId: context.job.characterId,
      jobId: context.job.id,
      kind: 'sample',
      name: `step ${step} · ${basename(path)}`,
      path: toRel(path),
      meta: { step },
    }),
  );
  context.emit({
    type: 'sample',
    step,
    artifactIds: samples.map((s) => s.id),
    urls: samples.map((s) => s.url),
  });
  return samples;
}

/**
 * The job's training copy of its dataset version in `datasetDir` (reviewed captions, excluded items left out). A
 * resume from a checkpoint keeps the copy there, so the run continues on the images it started with; a run from
 * step 1 makes it again from the version (edits since count), except once that version was deleted: then the copy
 * is the last one of its images, kept and trained on (its log says so). The copy is written whole before it takes
 * the place of the previous one (training-copy.ts): a half-written one is never trained on. An image deleted by
 * hand fails the job here, naming its item, before the worker starts.
 */
async function prepareTrainingCopy(
  deps: RunnerDeps,
  context: JobContext,
  datasetId: string,
  datasetDir: string,
): Promise<void> {
  if (existsSync(datasetDir)) {
    if (context.resume) return;
    if (!datasetListed(deps.catalog, datasetId)) {
      const copy = dataRel(deps.dataDir, datasetDir);
      const message = `dataset version ${datasetId} was deleted; training from the copy this job kept of it (${copy}).`;
      context.emit({ type: 'log', level: 'info', message });
      return;
    }
  }
  const items = deps.catalog.listDatasetItems(datasetId);
  checkSomeItemIncluded(datasetId, items); // excluded while the job was queued
  await writeTrainingCopy(deps.dataDir, datasetId, items, datasetDir);
}

export interface TrainRunnerOptions {
  /** Replaces the Python worker (tests). */
  spawn?: WorkerSpawn;
}

export function createTrainRunner(deps: RunnerDeps, options: TrainRunnerOptions = {}) {
  return async (context: JobContext): Promise<Record<string, unknown>> => {
    const { job } = context;
    const params: TrainJobParams = parseStoredJobParams(trainJobParamsSchema, job);
    // before any worker starts; in the app's model cache, where the worker request's paths come from too
    checkBaseModelOnDisk('params.training.baseModel', params.training.baseModel, deps.modelCache);
    const character = deps.catalog.getCharacter(job.characterId);
    const jobDir = jobRelDir(job.id);
    const datasetDir = resolveDataPath(deps.dataDir, trainingCopyRel(job.id));
    // a resume continues in the folder it wrote (the character may have been renamed since)
    const runDir = resolveDataPath(deps.dataDir, `${jobDir}/${runNameFor(job, character.name)}`);
    // a LoRA delete answers 409 while the job is queued, and writes its note before it removes anything: a resume
    // it lets through reads the note (lora-deleted-note.ts), whatever is left of checkpoints/
    if (context.resume) await checkResumable(deps.dataDir, job, runDir);
    else await forgetLoraDeleted(runDir); // a run from step 1 makes a new LoRA
    await prepareTrainingCopy(deps, context, params.datasetId, datasetDir);
    // One GPU: the warm generation worker gives its memory back while training runs.
    await deps.generation?.close();
    // An event that cannot be recorded (the store failed) fails the job once the worker has ended; thrown
    // from here it would be uncaught (the worker's stdout handler calls onEvent).
    let eventError: unknown;
    const result = await runTraining({
      datasetDir,
      runDir,
      config: params.training,
      apiBaseModel: true, // a job's base model is never a server path
      ...(deps.modelCache ? { modelCache: deps.modelCache } : {}),
      resume: context.resume,
      signal: context.signal, // the worker checkpoints, then stops
      kill: context.kill, // a shutdown that cannot wait longer: the worker is killed at once
      ...(options.spawn ? { spawn: options.spawn } : {}),
      onEvent: (event) => {
        try {
          handleEvent(deps, context, event);
        } catch (error) {
          eventError ??= error;
        }
      },
    });
    if (eventError !== undefined && !context.signal.aborted) throw eventError;
    if (result.status === 'cancelled') {
      if (context.signal.aborted) throw new Error('training stopped');
      throw new ToonloraError(
        'TL_ERR_WORKER',
        'training: the worker stopped before the last step; resume the job.',
      );
    }
    if (!result.kohyaFile) throw new ToonloraError('TL_ERR_WORKER', 'training: no LoRA file was written.');
    const lora = deps.catalog.addArtifact({
      characterId: character.id,
      jobId: job.id,
      kind: 'lora',
      name: basename(runDir),
      path: dataRel(deps.dataDir, result.kohyaFile),
      meta: {
        baseModel: params.training.baseModel,
        resolution: params.training.resolution,
        steps: result.steps,
        algorithm: params.training.lora.algorithm,
        rank: params.training.lora.rank,
        alpha: effectiveLoraAlpha(params.training.lora),
        datasetId: params.datasetId,
        lastLoss: result.lastLoss,
      },
    });
    // The run is done: only a resume reads the training state, and a succeeded job is not resumed.
    const freed = resumeStateRemovedMessage(await removeResumeState(runDir));
    if (freed) context.emit({ type: 'log', level: 'info', message: freed });
    return { loraId: lora.id, steps: result.steps, lastLoss: result.lastLoss, stats: result.stats };
  };
}

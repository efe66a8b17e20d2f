// src/jobs/remote/remote-run.ts — one claimed train job on a remote worker: the dataset zip downloaded and
// unpacked (streamed to a file in the job folder, never whole in memory), the same runTraining the CLI and the server run, its events sent back in batches (each renews the
// lease; a reply saying stop ends the run with a checkpoint), each sample image uploaded as it is written (the
// Train page shows it; tried again a few times), each checkpoint uploaded as it is saved (the server keeps the
// newest), then the kohya LoRA uploaded, or the error / the stop reported (each tried again for minutes while the
// server is away; a LoRA still not taken is kept, finished-lora.ts, and uploaded on the job's next claim). Work
// folder: <workDir>/<job id>/; a resumed job continues from the newer of its run folder's checkpoint here and the
// one the server keeps (downloaded).
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { isToonloraError } from '../../errors.js';
import type { CacheOptions } from '../../models/cache.js';
import { trainJobParamsSchema } from '../../schemas/api.js';
import type { WorkerEvent } from '../../worker/protocol.js';
import type { WorkerSpawn } from '../../worker/python-worker.js';
import { newestCheckpoint } from '../../worker/run-folder.js';
import { runTraining } from '../../worker/train.js';
import { CheckpointUploader } from './checkpoint-upload.js';
import { type FinishedLora, forgetFinished, keepFinished, keptFinished } from './finished-lora.js';
import { LEASE_EVENTS_MAX, type LeaseEvent, type WorkerClaim } from './protocol.js';
import { UnreachableLog } from './reach-log.js';
import { finalReportDelays, SAMPLE_UPLOAD_RETRY_MS, sleepUnless, withRetries } from './retry.js';
import { downloadLimit, unzipFileTo } from './unzip.js';
import { isTransient, LeaseLostError, ProtocolMismatchError, type WorkerClient } from './worker-client.js';

export interface RemoteRunOptions {
  client: WorkerClient;
  claim: WorkerClaim;
  /** This worker's folder for datasets and run folders. */
  workDir: string;
  /** Aborted by the worker's own Ctrl-C: the run checkpoints, and the job is reported stopped (resumable). */
  signal?: AbortSignal;
  modelCache?: CacheOptions;
  spawn?: WorkerSpawn;
  /** A line for the worker's terminal. */
  say: (line: string) => void;
  /** The worker's record of the server not answering (shared with its claims), so it is not printed every second. */
  unreachable?: UnreachableLog;
  /** The waits before a failed sample upload is tried again (default SAMPLE_UPLOAD_RETRY_MS). */
  sampleRetryMs?: readonly number[];
  /** The waits before the LoRA upload or the fail / stop report is tried again (default finalReportDelays). */
  finalRetryMs?: readonly number[];
  /** The trainer (default runTraining): `toonlora worker` wraps it to show progress on this machine
   * (worker-progress.ts); tests pass a stand-in. */
  train?: typeof runTraining;
  /** Tests: the largest dataset zip downloaded (default downloadLimit('dataset zip')). */
  datasetZipMaxBytes?: number;
}

/** `finished, not uploaded`: the LoRA is kept on this worker and uploaded when the job is claimed again. */
export type RemoteRunEnd = 'succeeded' | 'failed' | 'stopped' | 'lease lost' | 'finished, not uploaded';

/** How often queued events are sent at most (progress stays live), however long the lease. */
const SEND_EVERY_MS = 1000;

/** A worker event as the job records it; paths relative to the work folder (they mean nothing elsewhere). */
function toLeaseEvent(event: WorkerEvent, workDir: string): LeaseEvent | undefined {
  if (event.type === 'progress') {
    const { step, total, loss, lr, it_per_s: itPerS, eta_s: etaS } = event;
    return { type: 'progress', progress: { step, total, loss, lr, itPerS, etaS } };
  }
  if (event.type === 'checkpoint')
    return { type: 'checkpoint', step: event.step, path: relative(workDir, event.path) };
  if (event.type === 'log') return { type: 'log', level: event.level, message: event.message };
  return undefined; // samples are uploaded as files (uploadSamples)
}

/** What a run starts from: `resume` (a checkpoint is in the run folder) and the job log line saying which. */
interface StartPoint {
  resume: boolean;
  /** The checkpoint is the one the server keeps (it may have been trained on another worker). */
  fromServer?: boolean;
  log?: LeaseEvent;
}

const info = (message: string): LeaseEvent => ({ type: 'log', level: 'info', message });

/** The trainer's resume line (trainer/toonlora_trainer/dataset_record.py dataset_move_note) when the dataset only
 * moved: the same images and captions in another folder. */
const ONLY_FOLDER_CHANGED =
  /^resuming (.+): the dataset moved from (.+) to (.+), the same (?:images and captions|image names and sizes)$/;

/**
 * On a resume from the server's checkpoint, the trainer's "the dataset moved" info line says it in the worker's
 * terms: the checkpoint may have been trained on another worker, whose copy of the same dataset was in its own work
 * folder. Any other event (a "different dataset" warning for a real change of images or captions) is kept as it is.
 */
export function datasetFolderNote(event: LeaseEvent): LeaseEvent {
  if (event.type !== 'log' || event.level !== 'info') return event;
  const match = ONLY_FOLDER_CHANGED.exec(event.message);
  if (!match) return event;
  return info(
    `resuming ${match[1]} on this worker's download of the dataset (the checkpoint was trained on the copy in ${match[2]}, on this or another worker)`,
  );
}
const megabytes = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

/**
 * Makes the job's folder ready: the dataset downloaded unless it is here, and on a resume the newest checkpoint in
 * the run folder, this worker's own or the one the server keeps (downloaded into checkpoints/step-NNNNNN, written
 * under a temporary name first). A new attempt starts from an empty folder.
 */
async function prepareJobFolder(
  options: RemoteRunOptions,
  paths: { jobDir: string; datasetDir: string; runDir: string },
  push: (event: LeaseEvent) => void,
): Promise<StartPoint> {
  const { client, claim } = options;
  const { jobDir, datasetDir, runDir } = paths;
  // a later attempt continues from this worker's checkpoint even when the server knows of none (the events naming
  // it were lost with the server): the folder is not cleared
  const own = claim.job.resume || claim.job.attempt > 1 ? newestCheckpoint(runDir) : null;
  const kept = claim.job.resume ? claim.job.checkpoint : null;
  if (!own && !kept) await rm(jobDir, { recursive: true, force: true });
  if (!existsSync(datasetDir)) {
    // streamed to a file, unpacked from it, then moved in place: a failed try leaves neither behind
    const zip = join(jobDir, '.dataset.download.zip');
    const partial = join(jobDir, '.train-data.partial');
    await mkdir(jobDir, { recursive: true });
    try {
      const max = options.datasetZipMaxBytes ?? downloadLimit('dataset zip');
      await client.downloadTo(claim.job.datasetZipPath, zip, max);
      await rm(partial, { recursive: true, force: true });
      const files = await unzipFileTo(zip, partial, 'dataset zip');
      await rename(partial, datasetDir);
      push(info(`dataset downloaded: ${files} files`));
    } finally {
      await rm(zip, { force: true });
      await rm(partial, { recursive: true, force: true });
    }
  }
  if (own && (!kept || own.step >= kept.step)) {
    const unknown = claim.job.resume ? '' : ' (the server knew of no checkpoint)';
    return {
      resume: true,
      log: info(`continuing from this worker's checkpoint of step ${own.step}${unknown}`),
    };
  }
  if (!kept) {
    if (!claim.job.resume) return { resume: false };
    const log: LeaseEvent = {
      type: 'log',
      level: 'warn',
      message: 'the checkpoint is not on this worker, and the server keeps none: training from step 1',
    };
    return { resume: false, log };
  }
  const name = `step-${String(kept.step).padStart(6, '0')}`;
  const zip = join(jobDir, `.${name}.download.zip`);
  const partial = join(runDir, 'checkpoints', `.${name}.partial`);
  await mkdir(dirname(partial), { recursive: true });
  try {
    await client.downloadTo(kept.path, zip, downloadLimit('checkpoint zip'));
    await rm(partial, { recursive: true, force: true });
    await unzipFileTo(zip, partial, 'checkpoint zip');
    await rm(join(runDir, 'checkpoints', name), { recursive: true, force: true });
    await rename(partial, join(runDir, 'checkpoints', name));
  } finally {
    await rm(zip, { force: true });
    await rm(partial, { recursive: true, force: true });
  }
  const where = own ? ` (newer than this worker's, of step ${own.step})` : '';
  return {
    resume: true,
    fromServer: true,
    log: info(
      `continuing from the checkpoint of step ${kept.step} the server keeps${where}: downloaded ${megabytes(kept.bytes)}`,
    ),
  };
}

export async function runClaim(options: RemoteRunOptions): Promise<RemoteRunEnd> {
  const { client, claim, say } = options;
  const unreachable = options.unreachable ?? new UnreachableLog();
  const { job, leaseId } = claim;
  const jobDir = join(options.workDir, job.id);
  const datasetDir = join(jobDir, 'train-data');
  const runDir = join(jobDir, job.loraName);
  const stop = new AbortController();
  const onOwnStop = () => stop.abort('worker');
  options.signal?.addEventListener('abort', onOwnStop, { once: true });
  let queue: LeaseEvent[] = [];
  let lastSent = Date.now();
  let lost = false;
  let sending: Promise<void> = Promise.resolve();
  // a lost lease, or a server of another worker protocol (upgraded while this job ran: its next claim says so)
  const onLost = (error: Error) => {
    lost = true;
    say(`job ${job.id}: ${error.message}`);
    stop.abort('lost');
  };
  const send = (force: boolean) => {
    sending = sending.then(async () => {
      if (lost || (!force && queue.length === 0 && Date.now() - lastSent < claim.renewEveryMs)) return;
      // at most LEASE_EVENTS_MAX a request (after a long pause many are queued); a batch leaves the queue once the
      // server took it, so a failed one is sent again, in order, with the next
      do {
        const batch = queue.slice(0, LEASE_EVENTS_MAX);
        try {
          const reply = await client.events(leaseId, batch);
          queue = queue.slice(batch.length);
          lastSent = Date.now();
          const back = unreachable.reached();
          if (back) say(`job ${job.id}: ${back}`);
          if (reply.stop && !stop.signal.aborted) {
            say(`job ${job.id}: the server asks to stop (cancelled); saving a checkpoint`);
            stop.abort('server');
          }
        } catch (error) {
          if (error instanceof LeaseLostError || error instanceof ProtocolMismatchError) {
            onLost(error);
          } else {
            const line = unreachable.failed(isToonloraError(error) ? error.message : String(error));
            if (line) say(`job ${job.id}: ${line}`);
          }
          return;
        }
      } while (queue.length > 0 && !lost);
    });
    return sending;
  };
  const push = (event: LeaseEvent) => queue.push(event);
  // one step's samples at a time, after the events queued before them, beside the event batches (a retry's wait
  // does not hold up the lease); a sample that still cannot be uploaded stays on the worker, and the log says so
  let samplesSent: Promise<void> = Promise.resolve();
  const uploadSamples = (step: number, paths: readonly string[]) => {
    const flushed = send(false);
    samplesSent = samplesSent.then(async () => {
      await flushed;
      if (lost) return;
      try {
        const images = await Promise.all(
          paths.map(async (path) => ({
            name: basename(path),
            png: (await readFile(path)).toString('base64'),
          })),
        );
        await withRetries(() => client.samples(leaseId, { step, images }), {
          delaysMs: options.sampleRetryMs ?? SAMPLE_UPLOAD_RETRY_MS,
          retryable: (error) => !lost && !(error instanceof LeaseLostError),
          onRetry: (error, attempt) =>
            say(
              `job ${job.id}: the samples of step ${step} were not uploaded (${error instanceof Error ? error.message : String(error)}); trying again (${attempt + 1} of ${(options.sampleRetryMs ?? SAMPLE_UPLOAD_RETRY_MS).length + 1})`,
            ),
        });
      } catch (error) {
        if (error instanceof LeaseLostError) {
          onLost(error);
          return;
        }
        const why = error instanceof Error ? error.message : String(error);
        const where = paths.map((path) => relative(options.workDir, path)).join(', ');
        say(`job ${job.id}: the samples of step ${step} were not uploaded (${why})`);
        push({
          type: 'log',
          level: 'warn',
          message: `the samples of step ${step} were not uploaded (${why}); they are on the worker: ${where}`,
        });
      }
    });
  };
  const uploader = new CheckpointUploader({
    upload: (step, zip, signal) => client.checkpoint(leaseId, step, zip, signal),
    onLost,
    onFailed: (step, why) => {
      const line = `the checkpoint of step ${step} was not uploaded to the server (${why}); the next one is tried`;
      say(`job ${job.id}: ${line}`);
      push({ type: 'log', level: 'warn', message: line });
    },
  });
  // the LoRA upload and the fail / stop report, tried again while the server is away (an events batch before each
  // further try keeps the lease while the server answers those); a lost lease ends the tries, and so does the
  // worker's own Ctrl-C (it is leaving: one try; a finished LoRA stays kept for the job's next claim)
  const finalDelays = options.finalRetryMs ?? finalReportDelays(claim.renewEveryMs * 4);
  const report = (what: string, call: () => Promise<unknown>) =>
    withRetries(
      async () => {
        if (lost) throw new LeaseLostError(`the lease was lost before ${what} reached the server`);
        return call();
      },
      {
        delaysMs: finalDelays,
        retryable: (error) => !lost && !options.signal?.aborted && isTransient(error),
        sleep: (ms) => sleepUnless(ms, options.signal),
        onRetry: (error) => {
          const line = unreachable.failed(
            `${what} failed (${error instanceof Error ? error.message : String(error)}); trying again for up to ${Math.round(finalDelays.reduce((a, b) => a + b, 0) / 1000)} s`,
          );
          if (line) say(`job ${job.id}: ${line}`);
          void send(true);
        },
      },
    );
  const uploadLora = async (lora: FinishedLora): Promise<RemoteRunEnd> => {
    await keepFinished(jobDir, job.params, lora);
    try {
      await report('the LoRA upload', async () => {
        await client.complete(leaseId, lora.file, {
          steps: lora.steps,
          lastLoss: lora.lastLoss,
        });
      });
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      say(
        `job ${job.id}: the finished LoRA was not uploaded (${why}). It is kept in ${lora.file} and uploaded when this ` +
          'worker claims the job again: resume the job on the server (it is interrupted once its lease runs out).',
      );
      return 'finished, not uploaded';
    }
    await forgetFinished(jobDir);
    return 'succeeded';
  };
  const timer = setInterval(() => void send(false), Math.min(SEND_EVERY_MS, claim.renewEveryMs));
  try {
    const params = trainJobParamsSchema.parse(job.params);
    const finished = await keptFinished(jobDir, job.params);
    if (finished) {
      push(
        info(
          `this worker finished the job before (step ${finished.steps}) but could not upload its LoRA then: uploading it now`,
        ),
      );
      await send(true);
      if (lost) return 'lease lost';
      return await uploadLora(finished);
    }
    const start = await prepareJobFolder(options, { jobDir, datasetDir, runDir }, push);
    if (start.log) push(start.log);
    const result = await (options.train ?? runTraining)({
      datasetDir,
      runDir,
      config: params.training,
      apiBaseModel: true,
      resume: start.resume,
      signal: stop.signal,
      ...(options.modelCache ? { modelCache: options.modelCache } : {}),
      ...(options.spawn ? { spawn: options.spawn } : {}),
      onEvent: (event) => {
        if (event.type === 'sample') uploadSamples(event.step, event.paths);
        if (event.type === 'checkpoint') uploader.offer(event.step, resolve(event.path));
        const leaseEvent = toLeaseEvent(event, options.workDir);
        if (leaseEvent) push(start.fromServer ? datasetFolderNote(leaseEvent) : leaseEvent);
      },
    });
    await samplesSent;
    if (result.status === 'done' && result.kohyaFile) uploader.cancel(); // a finished job is not resumed
    await uploader.settled(); // a stopped run's last checkpoint reaches the server before the job ends
    await send(true);
    if (result.status === 'done' && result.kohyaFile) {
      const lora = { file: result.kohyaFile, steps: result.steps, lastLoss: result.lastLoss };
      if (!lost) return await uploadLora(lora);
      await keepFinished(jobDir, job.params, lora);
      say(
        `job ${job.id}: the finished LoRA is kept in ${lora.file} and uploaded when this worker claims the job ` +
          'again: resume the job on the server.',
      );
      return 'finished, not uploaded';
    }
    if (lost) return 'lease lost';
    const at = result.checkpoint
      ? `checkpoint ${relative(options.workDir, result.checkpoint)}`
      : 'no checkpoint';
    await report('the stop report', () =>
      client.fail(leaseId, {
        error: { code: 'TL_ERR_WORKER', message: `stopped at step ${result.steps} (${at})` },
        stopped: true,
      }),
    ).catch((reportError: unknown) => {
      say(
        `job ${job.id}: the stop was not reported (${String(reportError)}); the lease runs out on the server`,
      );
    });
    return 'stopped';
  } catch (error) {
    await samplesSent;
    await uploader.settled();
    await send(true);
    if (lost || error instanceof LeaseLostError) return 'lease lost';
    const described = isToonloraError(error)
      ? { code: error.code, message: error.text, ...(error.fix && { fix: error.fix }) }
      : { code: 'TL_ERR_WORKER', message: error instanceof Error ? error.message : String(error) };
    say(`job ${job.id} failed: ${isToonloraError(error) ? error.message : described.message}`);
    await report('the failure report', () =>
      client.fail(leaseId, { error: described, stopped: false }),
    ).catch((failError: unknown) => {
      say(`job ${job.id}: the failure was not reported (${String(failError)})`);
    });
    return 'failed';
  } finally {
    uploader.cancel();
    clearInterval(timer);
    options.signal?.removeEventListener('abort', onOwnStop);
  }
}

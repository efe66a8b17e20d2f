// src/jobs/remote/remote-run.ts — one claimed train job on a remote worker: the dataset zip downloaded and
// unpacked, the same runTraining the CLI and the server run, its events sent back in batches (each renews the
// lease; a reply saying stop ends the run with a checkpoint), each sample image uploaded as it is written (the
// Train page shows it), then the kohya LoRA uploaded, or the error / the
// stop reported. Work folder: <workDir>/<job id>/ (a resumed job continues from its run folder when it is here).
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { isToonloraError } from '../../errors.js';
import type { CacheOptions } from '../../models/cache.js';
import { trainJobParamsSchema } from '../../schemas/api.js';
import type { WorkerEvent } from '../../worker/protocol.js';
import type { WorkerSpawn } from '../../worker/python-worker.js';
import { runTraining } from '../../worker/train.js';
import type { LeaseEvent, WorkerClaim } from './protocol.js';
import { unzipTo } from './unzip.js';
import { LeaseLostError, type WorkerClient } from './worker-client.js';

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
}

export type RemoteRunEnd = 'succeeded' | 'failed' | 'stopped' | 'lease lost';

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

export async function runClaim(options: RemoteRunOptions): Promise<RemoteRunEnd> {
  const { client, claim, say } = options;
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
  const onLost = (error: LeaseLostError) => {
    lost = true;
    say(`job ${job.id}: ${error.message}`);
    stop.abort('lost');
  };
  const send = (force: boolean) => {
    sending = sending.then(async () => {
      if (lost || (!force && queue.length === 0 && Date.now() - lastSent < claim.renewEveryMs)) return;
      const batch = queue;
      queue = [];
      try {
        const reply = await client.events(leaseId, batch);
        lastSent = Date.now();
        if (reply.stop && !stop.signal.aborted) {
          say(`job ${job.id}: the server asks to stop (cancelled); saving a checkpoint`);
          stop.abort('server');
        }
      } catch (error) {
        if (error instanceof LeaseLostError) {
          onLost(error);
        } else {
          queue = [...batch, ...queue]; // the server is unreachable for now: send them with the next batch
          say(`job ${job.id}: ${isToonloraError(error) ? error.message : String(error)}`);
        }
      }
    });
    return sending;
  };
  const push = (event: LeaseEvent) => queue.push(event);
  // after the events queued before them; a sample that cannot be uploaded stays on the worker, and the log says so
  const uploadSamples = (step: number, paths: readonly string[]) => {
    void send(false);
    sending = sending.then(async () => {
      if (lost) return;
      try {
        const images = await Promise.all(
          paths.map(async (path) => ({
            name: basename(path),
            png: (await readFile(path)).toString('base64'),
          })),
        );
        await client.samples(leaseId, { step, images });
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
  const timer = setInterval(() => void send(false), Math.min(SEND_EVERY_MS, claim.renewEveryMs));
  try {
    const params = trainJobParamsSchema.parse(job.params);
    const resume = job.resume && existsSync(runDir);
    if (job.resume && !resume) {
      push({
        type: 'log',
        level: 'warn',
        message: 'the checkpoint is not on this worker: training from step 1',
      });
    }
    if (!resume || !existsSync(datasetDir)) {
      await rm(jobDir, { recursive: true, force: true });
      const files = await unzipTo(await client.download(job.datasetZipPath), datasetDir);
      push({ type: 'log', level: 'info', message: `dataset downloaded: ${files} files` });
    }
    const result = await runTraining({
      datasetDir,
      runDir,
      config: params.training,
      apiBaseModel: true,
      resume,
      signal: stop.signal,
      ...(options.modelCache ? { modelCache: options.modelCache } : {}),
      ...(options.spawn ? { spawn: options.spawn } : {}),
      onEvent: (event) => {
        if (event.type === 'sample') uploadSamples(event.step, event.paths);
        const leaseEvent = toLeaseEvent(event, options.workDir);
        if (leaseEvent) push(leaseEvent);
      },
    });
    await send(true);
    if (lost) return 'lease lost';
    if (result.status === 'done' && result.kohyaFile) {
      await client.complete(leaseId, await readFile(result.kohyaFile), {
        steps: result.steps,
        lastLoss: result.lastLoss,
      });
      return 'succeeded';
    }
    const at = result.checkpoint
      ? `checkpoint ${relative(options.workDir, result.checkpoint)}`
      : 'no checkpoint';
    await client.fail(leaseId, {
      error: { code: 'TL_ERR_WORKER', message: `stopped at step ${result.steps} (${at})` },
      stopped: true,
    });
    return 'stopped';
  } catch (error) {
    await send(true);
    if (lost || error instanceof LeaseLostError) return 'lease lost';
    const described = isToonloraError(error)
      ? { code: error.code, message: error.message }
      : { code: 'TL_ERR_WORKER', message: error instanceof Error ? error.message : String(error) };
    say(`job ${job.id} failed: ${described.message}`);
    await client.fail(leaseId, { error: described, stopped: false }).catch((failError: unknown) => {
      say(`job ${job.id}: the failure was not reported (${String(failError)})`);
    });
    return 'failed';
  } finally {
    clearInterval(timer);
    options.signal?.removeEventListener('abort', onOwnStop);
  }
}

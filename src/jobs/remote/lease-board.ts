// src/jobs/remote/lease-board.ts — the queue side of remote workers (`serve --remote-workers`): its train
// runner offers each train job to the workers instead of running it here; a worker's claim takes the oldest
// offered job under a lease (recorded in one SQLite transaction: two claims never get the same attempt); its
// event batches are recorded as the job's progress / log / checkpoints and renew the lease; its LoRA upload ends
// the job as a local run does (a `lora` artifact). A lease not renewed in time interrupts the job (resumable): the
// newest checkpoint a worker uploaded is kept (checkpoint-store.ts), and a resume claimed by any worker gets it.
// remoteState() / onChange() (remote-state.ts) say where a running job is and tell the event streams when it changed.
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import type { Readable } from 'node:stream';
import { ToonloraError } from '../../errors.js';
import type { JobRemote } from '../../schemas/api.js';
import { type TrainJobParams, trainJobParamsSchema } from '../../schemas/api.js';
import { effectiveLoraAlpha } from '../../schemas/config.js';
import type { CatalogStore } from '../catalog-store.js';
import { jobRelDir } from '../data-layout.js';
import { resolveDataPath } from '../data-path.js';
import type { JobContext, JobRunner, StopReason } from '../job-queue.js';
import type { JobStore } from '../job-store.js';
import { checkExportImages } from '../kohya-export.js';
import { forgetLoraDeleted, loraWasDeleted } from '../lora-deleted-note.js';
import { checkSomeItemIncluded } from '../runners/train-included.js';
import { nothingToResume, recordSamples } from '../runners/train-runner.js';
import { parseStoredJobParams } from '../stored-job-params.js';
import {
  droppedCheckpointStep,
  removeStoredCheckpoints,
  type StoredCheckpoint,
  storeCheckpoint,
  storedCheckpoint,
} from './checkpoint-store.js';
import { leaseExpiredError, seconds, shutdownDuringCancelError, workerFailError } from './lease-endings.js';
import { receiveLora } from './lora-upload.js';
import type { LeaseEvent, LeaseEventsReply, LeaseFail, LeaseSamples, WorkerClaim } from './protocol.js';
import { remoteRunName } from './remote-run-name.js';
import { RemoteStateWatchers, remoteStateOf } from './remote-state.js';
import { checkPng } from './upload-checks.js';

export interface LeaseBoardOptions {
  store: JobStore;
  catalog: CatalogStore;
  /** Absolute data folder (the LoRAs are stored under it). */
  dataDir: string;
  /** How long a lease lasts without an events batch. */
  leaseMs: number;
}

/** A train job offered to the workers: its runner's attempt, waiting for a claim or for its worker's end. */
interface Offer {
  readonly context: JobContext;
  readonly params: TrainJobParams;
  readonly loraName: string;
  /** The run folder on this server (samples, the kept checkpoint, the LoRA). */
  readonly runDir: string;
  /** On a resume: the checkpoint kept for it when it was offered (a resume's claim downloads it), else null. */
  readonly checkpoint: StoredCheckpoint | null;
  readonly resolve: (result: Record<string, unknown>) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
}

interface Lease {
  readonly id: string;
  readonly worker: string;
  readonly offer: Offer;
  expiresAt: number;
  /** When the worker last reported (claim, events, samples, checkpoint). */
  lastReportAt: number;
  timer?: NodeJS.Timeout;
}

export class RemoteTrainBoard {
  /** Offered jobs no worker holds, oldest first (a Map keeps insertion order). */
  private readonly offered = new Map<string, Offer>();
  private readonly leases = new Map<string, Lease>();
  private readonly pollers = new Set<() => void>();
  private readonly watchers = new RemoteStateWatchers();
  private closed = false;

  constructor(private readonly options: LeaseBoardOptions) {}

  /** The train runner: resolves with the job's result once a worker has uploaded its LoRA. A dataset image deleted
   * by hand, or every item excluded, fails the job here, naming its item or version, as a local run does, not once a
   * worker has claimed it; a resume too, since the worker may download the version anew. */
  readonly runner: JobRunner = async (context) => {
    // a job an older toonlora queued with settings today's rules refuse fails naming them (stored-job-params.ts)
    const params = parseStoredJobParams(trainJobParamsSchema, context.job);
    // a resume too: the worker that claims it downloads the version as it is now unless it kept its own download
    // (a resume's version cannot be deleted: the resume route refuses it on this server)
    const items = this.options.catalog.listDatasetItems(params.datasetId);
    checkSomeItemIncluded(params.datasetId, items); // excluded while the job was queued
    await checkExportImages(this.options.dataDir, params.datasetId, items);
    const character = this.options.catalog.getCharacter(context.job.characterId);
    const loraName = await remoteRunName(this.options.dataDir, context.job, character.name); // renamed or not
    const runDir = resolveDataPath(this.options.dataDir, `${jobRelDir(context.job.id)}/${loraName}`);
    // a run that starts over must not be offered an earlier attempt's checkpoint; it makes a LoRA of its own
    if (!context.resume) {
      await removeStoredCheckpoints(runDir, true);
      await forgetLoraDeleted(runDir);
    }
    // the LoRA delete's note before the zip: a resume sent while the delete removes files may still find it
    if (context.resume && loraWasDeleted(runDir)) throw this.deletedWithLora(context.job.id, runDir);
    const checkpoint = context.resume ? await storedCheckpoint(runDir) : null;
    if (context.resume && !checkpoint) await this.checkNotDeleted(context.job.id, runDir);
    return new Promise((resolve, reject) => {
      const offer: Offer = {
        context,
        params,
        loraName,
        runDir,
        checkpoint,
        resolve,
        reject,
        settled: false,
      };
      context.signal.addEventListener('abort', () => this.stopped(offer), { once: true });
      context.kill.addEventListener('abort', () => this.end(offer, new Error('killed')), { once: true });
      context.shutdown?.addEventListener('abort', () => this.shutDown(offer), { once: true });
      this.offered.set(context.job.id, offer);
      this.watchers.changed(context.job.id);
      context.emit({
        type: 'log',
        level: 'info',
        message: 'waiting for a GPU worker to claim this job',
      });
      for (const wake of [...this.pollers]) wake();
    });
  };

  /**
   * Throws nothingToResume when the checkpoint the server kept for job `jobId` went with the LoRA it made: the note
   * says one was kept, the zip is gone, and the job has no LoRA row (a job cancelled as it ended keeps its LoRA, and
   * the zip its upload dropped, and is offered). Deleting the LoRA removes the zip (src/server/routes/loras), as a
   * local run's checkpoints/: nothing to resume from, not a run from step 1 (or from a worker's own copy) offered.
   * Decided from the store and the run folder, not from the log line the delete adds. (A delete now leaves a note,
   * src/jobs/lora-deleted-note.ts, read first; this covers a LoRA an older toonlora deleted.)
   */
  private async checkNotDeleted(jobId: string, runDir: string): Promise<void> {
    const step = await droppedCheckpointStep(runDir);
    if (step === undefined) return;
    if (this.options.catalog.listArtifacts({ jobId, kind: 'lora' }).length > 0) return;
    throw this.deletedWithLora(jobId, runDir);
  }

  /** The resume's error for job `jobId` whose checkpoint (kept in `runDir`) went with the LoRA it made. */
  private deletedWithLora(jobId: string, runDir: string): ToonloraError {
    return nothingToResume(
      jobId,
      `the checkpoint the server kept in ${relative(this.options.dataDir, runDir).split('\\').join('/')}`,
    );
  }

  /** Gives the oldest offered job to `worker`, or undefined when none is offered. */
  claim(worker: string): WorkerClaim | undefined {
    for (const [jobId, offer] of this.offered) {
      const leaseId = randomUUID();
      const { job } = offer.context;
      if (!this.options.store.claimLease(jobId, job.attempts, leaseId, worker)) continue;
      this.offered.delete(jobId);
      const lease: Lease = { id: leaseId, worker, offer, expiresAt: 0, lastReportAt: 0 };
      this.leases.set(leaseId, lease);
      this.renew(lease);
      offer.context.emit({
        type: 'log',
        level: 'info',
        message: `claimed by worker ${worker}; it keeps the job while it reports at least every ${seconds(this.options.leaseMs)}`,
      });
      return {
        leaseId,
        leaseExpiresAt: new Date(lease.expiresAt).toISOString(),
        renewEveryMs: Math.max(50, Math.floor(this.options.leaseMs / 4)),
        job: {
          id: jobId,
          characterId: job.characterId,
          attempt: job.attempts,
          resume: offer.context.resume,
          checkpoint: offer.checkpoint && {
            step: offer.checkpoint.step,
            bytes: offer.checkpoint.bytes,
            path: `/api/worker/leases/${leaseId}/checkpoint`,
          },
          loraName: offer.loraName,
          params: job.params,
          datasetZipPath: `/api/datasets/${offer.params.datasetId}/zip`,
        },
      };
    }
    return undefined;
  }

  /** claim(), waiting up to `waitMs` for a job to be offered (a long poll); undefined when none came, the
   * board closed, or `cancel` aborted (the worker's request went away: it must not be given a job). */
  async claimOrWait(worker: string, waitMs: number, cancel?: AbortSignal): Promise<WorkerClaim | undefined> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (this.closed || cancel?.aborted) return undefined;
      const claim = this.claim(worker);
      const left = deadline - Date.now();
      if (claim || left <= 0) return claim;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          cancel?.removeEventListener('abort', wake);
          this.pollers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        cancel?.addEventListener('abort', wake, { once: true });
        this.pollers.add(wake);
      });
    }
  }

  /** Records a worker's events, renews its lease, and says whether the run is to stop (cancel / shutdown). */
  events(leaseId: string, events: readonly LeaseEvent[]): LeaseEventsReply {
    const lease = this.held(leaseId);
    const { context } = lease.offer;
    for (const event of events) {
      if (event.type === 'progress') context.progress(event.progress);
      else if (event.type === 'checkpoint')
        context.emit({ type: 'checkpoint', step: event.step, path: `${lease.worker}:${event.path}` });
      else context.emit({ type: 'log', level: event.level, message: event.message });
    }
    this.renew(lease);
    return { leaseExpiresAt: new Date(lease.expiresAt).toISOString(), stop: context.signal.aborted };
  }

  /** Stores the sample images of one step where a local run writes them (the run folder's samples/) and records
   * them as a local run does: the job's `sample` artifacts and one `sample` event (the Train page); renews the lease. */
  async samples(leaseId: string, body: LeaseSamples): Promise<{ artifactIds: string[] }> {
    const lease = this.held(leaseId);
    const files = body.images.map(({ name, png }) => ({ name, file: Buffer.from(png, 'base64') }));
    for (const { name, file } of files) checkPng(name, file);
    const { context, loraName } = lease.offer;
    const folder = `${jobRelDir(context.job.id)}/${loraName}/samples`;
    const paths: string[] = [];
    for (const { name, file } of files) {
      const path = resolveDataPath(this.options.dataDir, `${folder}/${name}`);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file);
      paths.push(path);
    }
    this.renew(lease);
    return { artifactIds: recordSamples(this.options, context, body.step, paths).map((a) => a.id) };
  }

  /** Keeps `body` (a zip of the checkpoint of `step` the worker's run saved) as the job's checkpoint in place of the
   * one before; refused over `maxBytes`, or when the lease ended before it was stored; renews the lease. */
  async storeCheckpoint(leaseId: string, step: number, body: Readable, maxBytes: number) {
    const lease = this.held(leaseId);
    const stored = await storeCheckpoint(lease.offer.runDir, step, body, {
      maxBytes,
      keep: () => void this.held(leaseId),
    });
    this.renew(lease);
    return { step: stored.step, bytes: stored.bytes };
  }

  /** The checkpoint kept for a lease's job (its claim said it exists). */
  async keptCheckpoint(leaseId: string): Promise<StoredCheckpoint> {
    const lease = this.held(leaseId);
    const stored = await storedCheckpoint(lease.offer.runDir);
    if (!stored) {
      throw new ToonloraError(
        'TL_ERR_INPUT_NOT_FOUND',
        `job ${lease.offer.context.job.id}: the server keeps no checkpoint of it (none was uploaded, or it was deleted).`,
      );
    }
    this.renew(lease);
    return stored;
  }

  /** Streams the worker's kohya LoRA file (`body`) into the run folder and stores it as the job's `lora` artifact,
   * ending the job succeeded: a temporary file first, refused past `maxBytes` (413) while it arrives or when it is
   * not a safetensors file (422), removed on any failure, renamed into place once the lease still holds. */
  async complete(
    leaseId: string,
    body: Readable,
    facts: { steps: number; lastLoss?: number },
    maxBytes: number,
  ) {
    const { runDir } = this.held(leaseId).offer;
    const temporary = await receiveLora(runDir, body, maxBytes);
    let lease: Lease;
    try {
      lease = this.held(leaseId); // the lease may have ended while the file arrived
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    this.release(lease);
    const { context, params, loraName } = lease.offer;
    const { job } = context;
    const path = resolveDataPath(
      this.options.dataDir,
      `${jobRelDir(job.id)}/${loraName}/${loraName}.safetensors`,
    );
    try {
      await rename(temporary, path);
      const lora = this.options.catalog.addArtifact({
        characterId: job.characterId,
        jobId: job.id,
        kind: 'lora',
        name: loraName,
        path: relative(this.options.dataDir, path).split('\\').join('/'),
        meta: {
          baseModel: params.training.baseModel,
          resolution: params.training.resolution,
          steps: facts.steps,
          algorithm: params.training.lora.algorithm,
          rank: params.training.lora.rank,
          alpha: effectiveLoraAlpha(params.training.lora),
          datasetId: params.datasetId,
          lastLoss: facts.lastLoss ?? null,
          worker: lease.worker,
        },
      });
      // a finished job is not resumed: its kept checkpoint only takes room
      await removeStoredCheckpoints(lease.offer.runDir);
      this.end(lease.offer, undefined, {
        loraId: lora.id,
        steps: facts.steps,
        lastLoss: facts.lastLoss ?? null,
        worker: lease.worker,
      });
    } catch (error) {
      await rm(temporary, { force: true });
      await rm(path, { force: true });
      this.end(lease.offer, error);
      throw error;
    }
    return { jobId: job.id };
  }

  /** Ends the job as the worker says: stopped as asked (cancel / shutdown), or failed with its error. */
  fail(leaseId: string, body: LeaseFail): { jobId: string } {
    const lease = this.held(leaseId);
    this.release(lease);
    const asked = lease.offer.context.signal.aborted; // the events reply said stop: a cancel
    this.end(lease.offer, workerFailError(lease.worker, body, asked));
    return { jobId: lease.offer.context.job.id };
  }

  /** Where running job `jobId` is (remote-state.ts); undefined when no worker is offered it or holds it. */
  remoteState(jobId: string, now = Date.now()): JobRemote | undefined {
    const lease = [...this.leases.values()].find((held) => held.offer.context.job.id === jobId);
    const view = lease && { ...lease, stopAsked: lease.offer.context.signal.aborted };
    return remoteStateOf(this.offered.has(jobId), view, now);
  }

  /** Calls `listener` (which must not throw) with a job's id when its remoteState() changed: offered, claimed, a
   * report from its worker (the lease renewed), a cancel waiting for the worker. Returns the function removing it. */
  onChange(listener: (jobId: string) => void): () => void {
    return this.watchers.add(listener);
  }

  /** No claims from now on; long polls answer at once (the server shuts down). */
  close(): void {
    this.closed = true;
    for (const wake of [...this.pollers]) wake();
  }

  /** The job's signal aborted: an offered job ends now; a leased one learns it from its next events reply, except
   * in a shutdown (the server stops answering: the job is recorded interrupted now, the worker's checkpoint stays). */
  private stopped(offer: Offer): void {
    const jobId = offer.context.job.id;
    if (this.offered.delete(jobId)) {
      this.end(offer, new Error('stopped before a worker claimed it'));
      return;
    }
    if ((offer.context.signal.reason as StopReason) !== 'shutdown') {
      this.watchers.changed(jobId); // a cancel: stopAsked until the worker's next report
      return;
    }
    for (const lease of this.leases.values()) if (lease.offer === offer) this.release(lease);
    this.end(offer, new Error('stopped'));
  }

  /** The server shuts down while a cancel waits for the worker: not waited for, the job is recorded interrupted
   * now (as a shutdown does to every remote job; stopped() did it already when the shutdown came first). */
  private shutDown(offer: Offer): void {
    if (offer.settled || (offer.context.signal.reason as StopReason) !== 'cancel') return;
    for (const lease of this.leases.values()) {
      if (lease.offer !== offer) continue;
      this.release(lease);
      this.end(offer, shutdownDuringCancelError(lease.worker));
    }
  }

  private held(leaseId: string): Lease {
    const lease = this.leases.get(leaseId);
    if (!lease) {
      throw new ToonloraError(
        'TL_ERR_CONFLICT',
        `lease ${leaseId} is not held: it expired, its job ended, or the server restarted since the claim. ` +
          'Stop this run; a resumed job is claimed again.',
        { details: { leaseId } },
      );
    }
    return lease;
  }

  private renew(lease: Lease): void {
    clearTimeout(lease.timer);
    lease.lastReportAt = Date.now();
    lease.expiresAt = lease.lastReportAt + this.options.leaseMs;
    lease.timer = setTimeout(() => this.expire(lease), this.options.leaseMs);
    lease.timer.unref();
    this.watchers.changed(lease.offer.context.job.id);
  }

  private release(lease: Lease): void {
    clearTimeout(lease.timer);
    this.leases.delete(lease.id);
  }

  private expire(lease: Lease): void {
    this.release(lease);
    const { offer } = lease;
    void storedCheckpoint(offer.runDir).then((kept) =>
      this.end(offer, leaseExpiredError(lease.worker, offer.context.job.id, this.options.leaseMs, kept)),
    );
  }

  private end(offer: Offer, error: unknown, result?: Record<string, unknown>): void {
    if (offer.settled) return;
    offer.settled = true;
    this.offered.delete(offer.context.job.id);
    if (error === undefined && result) offer.resolve(result);
    else offer.reject(error);
  }
}

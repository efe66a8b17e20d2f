// src/jobs/job-delete.ts — deleting one finished job (DELETE /api/jobs/:id): its row, its event log (the Train and
// Upload pages' log, loss and status lines), its leases and its sample rows go in one transaction, and the caller
// moves its folder (`jobs/<id>`) aside in it and removes it after (deleted-folders.ts). Refused while it is queued or
// running (its runner still writes there), and while something it made is still listed elsewhere: a dataset version
// (its crops live in the prep job's folder, and its row names the job), a LoRA (its file and run weights live in the
// train job's folder, and the LoRA delete finds those through the job) or generated images. A dataset version or a
// LoRA is deleted first, on its own page; generated images (and sweep grids) go with their job when the delete asks
// for them (`withImages`: the Generate page's "Delete this batch"), their rows in the same transaction, their files in
// the job's folder, or first, one by one (DELETE /api/generated-images/:id).
import { ToonloraError } from '../errors.js';
import type { JobKind, JobStatus } from '../schemas/api.js';
import { jobRelDir } from './data-layout.js';
import type { SqliteDatabase } from './database.js';
import { stillStopping } from './job-state.js';

type Row = Record<string, unknown>;

/** What a job made that is listed on another page (a dataset version, a LoRA, generated images), in words. */
export interface ListedOutput {
  readonly words: string;
  /** How to delete it before the job (generated images: or with it). */
  readonly deleteFirst: string;
}

/** The artifact kinds of generated images: what a generate job makes, and what `withImages` deletes with it. */
export const GENERATED_KINDS = ['image', 'grid'] as const;

/** A job's generated images, in SQL (the kinds above). */
const GENERATED_ROWS = `job_id = ? AND kind IN (${GENERATED_KINDS.map((kind) => `'${kind}'`).join(', ')})`;

/** The dataset versions and artifacts job `id` made that another page lists (its samples are its own history; with
 * `withImages`, its generated images go with it). */
export function listedOutputs(db: SqliteDatabase, id: string, withImages = false): ListedOutput[] {
  const datasets = db
    .prepare('SELECT id FROM datasets WHERE job_id = ? ORDER BY created_at')
    .all(id) as Row[];
  const artifacts = db
    .prepare("SELECT id, kind, name FROM artifacts WHERE job_id = ? AND kind <> 'sample' ORDER BY created_at")
    .all(id) as Row[];
  const loras = artifacts.filter((a) => a.kind === 'lora');
  const images = withImages ? 0 : artifacts.filter((a) => a.kind !== 'lora').length;
  const way = `delete them with it (the Generate page's "Delete this batch", or DELETE /api/jobs/${id}?withImages=true)`;
  return [
    ...datasets.map((d) => ({
      words: `dataset version ${d.id}`,
      deleteFirst: `delete that version first (the Dataset page's "Delete this version", or DELETE /api/datasets/${d.id})`,
    })),
    ...loras.map((l) => ({
      words: `LoRA ${l.name} (${l.id})`,
      deleteFirst: `delete that LoRA first (the LoRA page's Delete, or DELETE /api/loras/${l.id})`,
    })),
    ...(images > 0
      ? [
          {
            words: `${images} generated image${images === 1 ? '' : 's'} (the Generate page)`,
            deleteFirst: `${way} or one by one first (each image's Delete, or DELETE /api/generated-images/<id>)`,
          },
        ]
      : []),
  ];
}

/** The 409 for a job that made something still listed: what, and what to do first. */
export function jobOutputsListed(
  job: { id: string; kind: string },
  outputs: readonly ListedOutput[],
): ToonloraError {
  const what = outputs.map((o) => o.words).join(', ');
  const steps = outputs.map((o) => o.deleteFirst).join(', then ');
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `${job.kind} job ${job.id} made ${what}, still listed and stored in the job's folder; nothing was deleted. ` +
      `To delete the job, ${steps}; it keeps its files until then.`,
    { details: { id: job.id } },
  );
}

/** The 409 for a job not done yet: to cancel it first, or to wait while the cancel asked at `cancelAskedAt` stops it. */
function jobNotDone(job: { id: string; kind: JobKind; status: string }, cancelAskedAt?: Date): ToonloraError {
  if (cancelAskedAt && job.status === 'running') return stillStopping(job, cancelAskedAt, 'delete');
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `${job.kind} job ${job.id} is ${job.status}; nothing was deleted. Cancel it first (the Cancel button by its ` +
      `status, or POST /api/jobs/${job.id}/cancel), or let it finish, then delete it.`,
    { details: { id: job.id, status: job.status } },
  );
}

/**
 * Deletes finished job `id`'s rows (the job, its events, leases and sample rows; with `withImages`, its generated
 * images' and grids' too) and returns its folder, relative to the data folder, for the caller to move aside in the
 * same transaction (deleteRowsMovingFoldersAside), with the images' files in it.
 * `cancelAskedAt`: when the user's cancel of it was asked, while it is still stopping (JobQueue.cancelAskedAt).
 * @throws ToonloraError TL_ERR_NOT_FOUND when unknown; TL_ERR_CONFLICT while it is queued or running (stopping after
 *   a cancel: to delete it once it shows cancelled), or while a dataset version, LoRA or (without `withImages`)
 *   generated image it made is still listed (nothing deleted)
 */
export function deleteFinishedJob(
  db: SqliteDatabase,
  id: string,
  options: { withImages?: boolean; cancelAskedAt?: Date } = {},
): string[] {
  const row = db.prepare('SELECT id, kind, status FROM jobs WHERE id = ?').get(id) as Row | undefined;
  if (!row) {
    throw new ToonloraError('TL_ERR_NOT_FOUND', `job ${id} not found. List them with GET /api/jobs.`, {
      details: { id },
    });
  }
  const job = { id, kind: String(row.kind) as JobKind, status: String(row.status) as JobStatus };
  if (job.status === 'queued' || job.status === 'running') throw jobNotDone(job, options.cancelAskedAt);
  const outputs = listedOutputs(db, id, options.withImages);
  if (outputs.length > 0) throw jobOutputsListed(job, outputs);
  for (const sql of [
    ...(options.withImages ? [`DELETE FROM artifacts WHERE ${GENERATED_ROWS}`] : []),
    "DELETE FROM artifacts WHERE job_id = ? AND kind = 'sample'",
    'DELETE FROM job_leases WHERE job_id = ?',
    'DELETE FROM job_events WHERE job_id = ?',
    'DELETE FROM jobs WHERE id = ?',
  ]) {
    db.prepare(sql).run(id);
  }
  return [jobRelDir(id)];
}

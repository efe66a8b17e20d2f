// src/jobs/runners/prep-leftovers.ts — what a prep job leaves inside its own job folder (its copied inputs,
// runPrep's staging folder, and, when it kept no dataset, its unfinished dataset folder) and their removal: when
// the job ends in-process (prep-runner), and at the next start for the prep jobs that ended without a dataset or
// that a dead server left running (killed mid-prep: nothing else would ever remove them).
import { lstatSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { formatBytes } from '../../format-bytes.js';
import { STAGING_DIR } from '../../prep/output-swap.js';
import type { Job, JobStatus } from '../../schemas/api.js';
import { jobRelDir } from '../data-layout.js';
import { resolveDataPath } from '../data-path.js';

/** A prep job's folders: `outDir` (the dataset it writes) and `inputsDir` (the uploads linked or copied in). */
export function prepJobDirs(dataDir: string, jobId: string): { outDir: string; inputsDir: string } {
  const jobDir = jobRelDir(jobId);
  return {
    outDir: resolveDataPath(dataDir, `${jobDir}/dataset`),
    inputsDir: resolveDataPath(dataDir, `${jobDir}/inputs`),
  };
}

/**
 * What a prep job leaves that nothing reads once it has ended, however it ended: the copied inputs (they
 * can be made again from the uploads) and runPrep's staging folder (a cancelled or failed run leaves it);
 * without `keptDataset` (cancelled, failed: no dataset version points at it) the whole dataset folder too.
 */
export async function removePrepLeftovers(
  inputsDir: string,
  outDir: string,
  keptDataset: boolean,
): Promise<void> {
  await rm(inputsDir, { recursive: true, force: true });
  await rm(keptDataset ? join(outDir, STAGING_DIR) : outDir, { recursive: true, force: true });
}

/** What removing one job's leftovers freed: the folders (relative to the data folder), files and bytes. */
export interface FreedLeftovers {
  jobId: string;
  /** How the job ended: `interrupted` here for a job found running at this start. */
  status: JobStatus;
  /** Whether it was found running at this start (the server that ran it died). */
  leftRunning: boolean;
  /** Whether a dataset version was made from it (then only its temporary copies went). */
  keptDataset: boolean;
  folders: string[];
  files: number;
  /** Bytes given back to the disk: an input hard-linked to its upload frees nothing. */
  bytes: number;
}

/** Job ids are generated UUIDs: anything else in the database is not turned into a path. */
const JOB_ID = /^[A-Za-z0-9-]+$/;

/**
 * `folder` (inside the data folder) when it is a real folder with no symbolic link between the data folder
 * and it, else undefined: only toonlora's own copies are removed, never what a link points at.
 */
function ownFolder(dataDir: string, folder: string): string | undefined {
  try {
    if (!lstatSync(folder).isDirectory()) return undefined;
    const expected = join(realpathSync(dataDir), relative(resolve(dataDir), folder));
    return realpathSync(folder) === expected ? expected : undefined;
  } catch {
    return undefined; // not there
  }
}

/** Files under `folder` and the bytes they hold alone (a file with other hard links frees nothing). */
function measure(folder: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const stat = lstatSync(join(entry.parentPath, entry.name));
    files += 1;
    if (stat.nlink === 1) bytes += stat.size;
  }
  return { files, bytes };
}

/** Prep jobs in these statuses have stopped for good unless a user acts; their folders are not in use. */
const ENDED: readonly JobStatus[] = ['cancelled', 'failed', 'interrupted'];

/**
 * Removes what the ended prep jobs among `jobs` left, only inside their own job folder of `dataDir`: their copied
 * inputs, and their staging folder, or their whole dataset folder when `withDataset` has no dataset version made
 * from them (a partial dataset nothing lists). Other kinds keep everything (a train job's dataset copy is what
 * its resume trains on). `leftRunning`: the jobs were found running at this start (how the log line words it).
 * @returns one entry per job that had something to remove
 */
export function removeEndedPrepLeftovers(
  dataDir: string,
  jobs: readonly Job[],
  withDataset: ReadonlySet<string>,
  leftRunning = false,
): FreedLeftovers[] {
  const freed: FreedLeftovers[] = [];
  for (const job of jobs) {
    if (job.kind !== 'prep' || !ENDED.includes(job.status) || !JOB_ID.test(job.id)) continue;
    const { inputsDir, outDir } = prepJobDirs(dataDir, job.id);
    const keptDataset = withDataset.has(job.id);
    const entry: FreedLeftovers = {
      jobId: job.id,
      status: job.status,
      leftRunning,
      keptDataset,
      folders: [],
      files: 0,
      bytes: 0,
    };
    for (const candidate of [inputsDir, keptDataset ? join(outDir, STAGING_DIR) : outDir]) {
      const folder = ownFolder(dataDir, candidate);
      if (!folder) continue;
      const { files, bytes } = measure(folder);
      rmSync(folder, { recursive: true, force: true });
      entry.folders.push(relative(realpathSync(dataDir), folder).split(sep).join('/'));
      entry.files += files;
      entry.bytes += bytes;
    }
    if (entry.folders.length > 0) freed.push(entry);
  }
  return freed;
}

/** One line for the server's log: which job, how it ended, which folders, how much was freed. */
export function describeFreedLeftovers(freed: FreedLeftovers): string {
  const how = freed.leftRunning ? 'was left running by a server that stopped' : `ended ${freed.status}`;
  const what = freed.keptDataset ? 'its temporary copies' : 'what it left (it made no dataset)';
  return (
    `prep job ${freed.jobId} ${how}; removed ${what} ${freed.folders.join(' and ')} ` +
    `(${freed.files} file${freed.files === 1 ? '' : 's'}, ${formatBytes(freed.bytes)} freed)`
  );
}

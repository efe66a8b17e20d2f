// src/worker/run-lock.ts — one train run at a time writes a run folder: a lock folder inside it
// (`.toonlora-train.lock`, made with mkdir by proper-lockfile, kept fresh while held) with its owner file
// (host/lock-owner.ts: pid, host, start time). A second run into the folder — the CLI's or a server job's — is
// refused at once, naming the run that holds it, instead of both running and writing over each other's adapter,
// checkpoints and kohya file. A lock whose owner is a dead process of this host (a SIGKILLed run) is taken over at
// once; one with no owner it can check goes stale after STALE_MS without refreshes.
import { existsSync, readFileSync, rmdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { diskFullCause, diskFullFailure } from '../disk-full.js';
import { ToonloraError } from '../errors.js';
import { errorCodeInWords } from '../fs-error-words.js';
import {
  currentLockOwner,
  isDeadLocalOwner,
  type LockOwner,
  lockOwnerPath,
  lockOwnerSchema,
  readLockOwner,
  removeDeadOwnersLock,
  removeLockOwner,
  writeLockOwner,
} from '../host/lock-owner.js';
import { makeFolders } from '../output-folder.js';

/** The lock folder a train run holds inside its run folder (hidden: listings and scans pass it by). */
export const RUN_LOCK_NAME = '.toonlora-train.lock';
/** A lock not refreshed for this long (its holder refreshes it every STALE_MS / 2) belongs to a dead process. */
const STALE_MS = 60_000;

/** The lock folder of `runDir`. */
export function runLockPath(runDir: string): string {
  return join(runDir, RUN_LOCK_NAME);
}

export interface HeldRunLock {
  /** Removes the lock (and the run folder, when taking the lock made it and nothing was written there since). */
  release(): Promise<void>;
}

function isLockedError(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ELOCKED';
}

async function refusal(runDir: string, lockPath: string): Promise<ToonloraError> {
  return refusalFor(runDir, lockPath, await readLockOwner(lockPath));
}

/** The refusal naming the run (`owner`, when recorded) that holds the lock of `runDir`. */
function refusalFor(runDir: string, lockPath: string, owner: LockOwner | undefined): ToonloraError {
  const holder = owner
    ? `pid ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`}, started ${owner.startedAt}`
    : 'its process id not recorded yet';
  return new ToonloraError(
    'TL_ERR_CONFLICT',
    `${runDir}: a train run is already writing this folder (${holder}). Wait for it to end or stop it, or ` +
      `choose another -o. (If no train run is writing it, remove ${lockPath}.)`,
    { details: { file: runDir, ...(owner ? { pid: owner.pid } : {}) } },
  );
}

/**
 * Takes the run lock of `runDir`, making the folder first when it does not exist. Never waits: a run that
 * holds it now may go on for hours.
 * @param warn told when a dead run's lock is taken over, and when the lock was lost while held (its folder
 *   removed, or not refreshed in time)
 * @throws ToonloraError TL_ERR_CONFLICT naming the run that holds the lock (pid, start time) and the fix;
 *   TL_ERR_OUTPUT_WRITE when the run folder cannot be made
 */
export async function acquireRunLock(
  runDir: string,
  warn: (message: string) => void = () => {},
): Promise<HeldRunLock> {
  const existed = existsSync(runDir);
  const made = await makeFolders(runDir);
  if (made) throw folderWriteError(runDir, made.error);
  let release: () => Promise<void>;
  try {
    release = await takeLock(runDir, warn);
  } catch (error) {
    if (!existed) removeIfEmpty(runDir);
    throw error instanceof ToonloraError ? error : folderWriteError(runDir, error);
  }
  const lockPath = runLockPath(runDir);
  await writeLockOwner(lockPath, currentLockOwner()).catch(() => {}); // without it: the stale rule
  return {
    release: async () => {
      await removeLockOwner(lockPath).catch(() => {});
      await release().catch(() => {}); // a compromised lock is already gone
      if (!existed) removeIfEmpty(runDir); // the run was refused or failed before writing anything
    },
  };
}

/** proper-lockfile's lock on `runDir`, or a dead run's taken over (said through `warn`); refused when held. */
async function takeLock(runDir: string, warn: (message: string) => void): Promise<() => Promise<void>> {
  const lockPath = runLockPath(runDir);
  const options = {
    realpath: false,
    lockfilePath: lockPath,
    stale: STALE_MS,
    onCompromised: (error: Error) =>
      warn(`the train lock of ${runDir} (${lockPath}) was lost while held: ${error.message}`),
  };
  try {
    return await lockfile.lock(lockPath, options);
  } catch (error) {
    if (!isLockedError(error)) throw error;
  }
  // a SIGKILLed run's lock: its owner file names a process of this host that has ended
  const dead = await removeDeadOwnersLock(lockPath);
  if (!dead) throw await refusal(runDir, lockPath);
  warn(
    `${runDir}: took over the train lock left by pid ${dead.pid} (started ${dead.startedAt}), which is no longer ` +
      'running (killed?); its checkpoints, if any, are checked as usual',
  );
  try {
    return await lockfile.lock(lockPath, options);
  } catch (again) {
    if (isLockedError(again)) throw await refusal(runDir, lockPath); // another run took it over first
    throw again;
  }
}

/** The recorded owner of `lockPath`, read at once (undefined: no file, or one being written). */
function readLockOwnerSync(lockPath: string): LockOwner | undefined {
  try {
    const parsed = lockOwnerSchema.safeParse(JSON.parse(readFileSync(lockOwnerPath(lockPath), 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Read-only: refuses `runDir` when a live train run holds its lock, as acquireRunLock would, without taking it (the
 * CLI's early path check runs it before it reads what the folder holds, so that a second `train -o SAME` names the
 * run writing there, not that run's checkpoints). A lock gone stale, or whose owner is a dead process of this host,
 * is not live: acquireRunLock takes it over.
 * @throws ToonloraError TL_ERR_CONFLICT as acquireRunLock's
 */
export function checkRunNotLocked(runDir: string): void {
  const lockPath = runLockPath(runDir);
  if (!existsSync(lockPath)) return;
  let held: boolean;
  try {
    held = lockfile.checkSync(lockPath, { realpath: false, lockfilePath: lockPath, stale: STALE_MS });
  } catch {
    return; // unreadable: acquireRunLock says what is wrong
  }
  if (!held) return;
  const owner = readLockOwnerSync(lockPath);
  if (owner && isDeadLocalOwner(owner)) return;
  throw refusalFor(runDir, lockPath, owner);
}

/** The run folder (or its lock) cannot be written: a full disk in words, else the errno. */
function folderWriteError(runDir: string, error: unknown): ToonloraError {
  const full = diskFullFailure(error);
  const why = full ? diskFullCause(full.code, full.path) : errorCodeInWords(error);
  return new ToonloraError(
    'TL_ERR_OUTPUT_WRITE',
    `${runDir}: the run folder cannot be written: ${why}; nothing was trained. Free some space or choose another -o.`,
    { cause: error, details: { file: runDir } },
  );
}

function removeIfEmpty(folder: string): void {
  try {
    rmdirSync(folder); // fails, as wanted, when anything is in it
  } catch {}
}

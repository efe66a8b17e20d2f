// src/host/install-lock.ts — one toonlora process at a time installs into a place (the worker's venv, a
// model's files): a lock folder that proper-lockfile creates with mkdir (atomic, also on network file
// systems) and keeps fresh while it is held. Another process waits for it, saying so once; a lock whose
// recorded owner (lock-owner.ts) is a dead process of this host is taken over at once, saying so, and one
// left by a process it cannot check (another host, an older toonlora) goes stale and is taken over. Without it, two `toonlora setup` (or `train` on a
// fresh machine) would run pip into one venv at once, and two `models pull` would append to one `.part`.
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';
import {
  currentLockOwner,
  type LockOwner,
  readLockOwner,
  removeDeadOwnersLock,
  removeLockOwner,
  takeOverMessage,
  writeLockOwner,
} from './lock-owner.js';

export interface InstallLockOptions {
  /** What the lock guards, for the waiting message: "the worker venv /x/.venv", "model blip". */
  what: string;
  /** Told once, when another process holds the lock and this one starts waiting for it. */
  onWait?: (message: string) => void;
  /** Told when the lock was left by a dead process of this host and is taken over (default: onWait). */
  onTakeOver?: (message: string) => void;
  /** Told if the lock was lost while held (its folder removed, or not refreshed for `staleMs`). */
  onCompromised?: (message: string) => void;
  /** How often a waiting process tries again (default 500 ms). */
  pollMs?: number;
  /** A lock not refreshed for this long belongs to a dead process (default 60 s; proper-lockfile's minimum is 5 s). */
  staleMs?: number;
  /** Ends the wait for another process's lock at once (Ctrl-C, a cancelled pull): LockWaitStopped. */
  signal?: AbortSignal;
}

/** The wait for a lock ended by the caller's stop signal; nothing was taken. */
export class LockWaitStopped extends Error {
  constructor(what: string) {
    super(`stopped while waiting for another toonlora process installing ${what}`);
    this.name = 'LockWaitStopped';
  }
}

const DEFAULT_POLL_MS = 500;
// The holder refreshes every staleMs / 2. A spawnSync in setup (python --version, up to 60 s time limit)
// blocks the refresh timer, so the default leaves a minute before another process may take the lock over.
const DEFAULT_STALE_MS = 60_000;

/**
 * The waiting message: what is locked, by which lock folder and, when recorded, which process holds it, and
 * that nothing is needed if that process is alive.
 */
export function lockWaitMessage(what: string, lockPath: string, owner?: LockOwner): string {
  const holder = owner ? `, held by process ${owner.pid} on ${owner.host} since ${owner.startedAt}` : '';
  return (
    `another toonlora process is installing ${what}; waiting for it to finish (lock ${lockPath}${holder}, ` +
    'taken over by itself if that process has died)'
  );
}

function isLockedError(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ELOCKED';
}

function isMissingFolderError(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

export interface HeldInstallLock {
  release(): Promise<void>;
  /** Whether another process held it first: what it installed meanwhile is worth looking for again. */
  waited: boolean;
}

/**
 * Takes the lock folder `lockPath` (creating its parent folders), waiting as long as another live process
 * holds it. Release it when done; proper-lockfile's exit hook also removes it when the process exits.
 */
export async function acquireInstallLock(
  lockPath: string,
  options: InstallLockOptions,
): Promise<HeldInstallLock> {
  await mkdir(dirname(lockPath), { recursive: true });
  const lockOptions = {
    realpath: false,
    lockfilePath: lockPath,
    stale: options.staleMs ?? DEFAULT_STALE_MS,
    onCompromised: (error: Error) =>
      options.onCompromised?.(
        `the lock on ${options.what} (${lockPath}) was lost while held: ${error.message}`,
      ),
  };
  let waited = false;
  let parentGone = 0;
  for (;;) {
    if (options.signal?.aborted) throw new LockWaitStopped(options.what);
    try {
      // lockPath is the lock itself: proper-lockfile locks `file` through `lockfilePath` without touching `file`.
      const release = await lockfile.lock(lockPath, lockOptions);
      // best effort: without the file, a waiting process falls back to the stale rule
      await writeLockOwner(lockPath, currentLockOwner()).catch(() => {});
      return {
        release: async () => {
          await removeLockOwner(lockPath).catch(() => {});
          // A compromised lock is already gone; releasing it again only repeats that.
          await release().catch(() => {});
        },
        waited,
      };
    } catch (error) {
      if (isMissingFolderError(error) && parentGone < 3) {
        // a failed pull that made the parent removed it again, empty, between our mkdir and the lock's
        parentGone += 1;
        await mkdir(dirname(lockPath), { recursive: true });
        continue;
      }
      if (!isLockedError(error)) throw error;
      const deadOwner = await removeDeadOwnersLock(lockPath);
      if (deadOwner) {
        (options.onTakeOver ?? options.onWait)?.(takeOverMessage(options.what, lockPath, deadOwner));
        continue;
      }
      if (!waited) options.onWait?.(lockWaitMessage(options.what, lockPath, await readLockOwner(lockPath)));
      waited = true;
      await sleep(options.pollMs ?? DEFAULT_POLL_MS, undefined, { signal: options.signal }).catch(() => {
        throw new LockWaitStopped(options.what);
      });
    }
  }
}

/** Runs `work` while holding the lock (see acquireInstallLock); released when `work` settles, also when it throws. */
export async function withInstallLock<T>(
  lockPath: string,
  options: InstallLockOptions,
  work: () => Promise<T>,
): Promise<T> {
  const lock = await acquireInstallLock(lockPath, options);
  try {
    return await work();
  } finally {
    await lock.release();
  }
}

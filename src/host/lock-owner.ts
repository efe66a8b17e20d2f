// src/host/lock-owner.ts — who holds an install lock: a small JSON file beside the lock folder (pid, host,
// start time), written by the holder, so that a waiting process can tell a lock left by a killed process on
// this machine (taken over at once) from one a live process holds (waited for). proper-lockfile's own rule
// (a lock not refreshed for a minute is stale) stays for owners it cannot check: another host, no file.
import { existsSync, readFileSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { z } from 'zod';

export const lockOwnerSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string(),
  /** ISO 8601 time the owner took the lock. */
  startedAt: z.string(),
});
export type LockOwner = z.infer<typeof lockOwnerSchema>;

/** The owner file of a lock folder: beside it, as proper-lockfile removes the folder with rmdir (empty only). */
export function lockOwnerPath(lockPath: string): string {
  return `${lockPath}.owner.json`;
}

/** This process as a lock owner, now. */
export function currentLockOwner(now: Date = new Date()): LockOwner {
  return { pid: process.pid, host: hostname(), startedAt: now.toISOString() };
}

/** Records `owner` as the holder of `lockPath` (call right after taking the lock). */
export async function writeLockOwner(lockPath: string, owner: LockOwner): Promise<void> {
  await writeFile(lockOwnerPath(lockPath), `${JSON.stringify(owner)}\n`);
}

/** Removes the owner file (call before releasing the lock); a missing one is fine. */
export async function removeLockOwner(lockPath: string): Promise<void> {
  await rm(lockOwnerPath(lockPath), { force: true });
}

async function readOwnerFile(path: string): Promise<LockOwner | undefined> {
  try {
    const parsed = lockOwnerSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded owner, or undefined when there is no file or it does not parse (being written, or an old toonlora's lock). */
export function readLockOwner(lockPath: string): Promise<LockOwner | undefined> {
  return readOwnerFile(lockOwnerPath(lockPath));
}

/**
 * Whether process `pid` of this machine runs: signal 0 reaches it (EPERM: it runs as another user), and on
 * Linux it is not a zombie (killed, not yet reaped by its parent).
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const statPath = `/proc/${pid}/stat`;
  const stat = existsSync(statPath) ? readFileSync(statPath, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

/** Whether `owner` is a process of this host that has ended: its lock can be taken over at once. */
export function isDeadLocalOwner(owner: LockOwner, host: string = hostname()): boolean {
  return owner.host === host && owner.pid !== process.pid && !isProcessAlive(owner.pid);
}

/**
 * Removes the lock folder `lockPath` when its recorded owner is a dead process of this host, and returns that
 * owner (else undefined: wait as before). Of several waiting processes only one removes it: each first moves
 * the owner file to a name of its own, which only one rename can do.
 */
export async function removeDeadOwnersLock(lockPath: string): Promise<LockOwner | undefined> {
  const owner = await readLockOwner(lockPath);
  if (!owner || !isDeadLocalOwner(owner)) return undefined;
  const claimed = `${lockOwnerPath(lockPath)}.takeover-${process.pid}`;
  try {
    await rename(lockOwnerPath(lockPath), claimed);
  } catch {
    return undefined; // another waiting process took it over first
  }
  const claimedOwner = await readOwnerFile(claimed);
  if (!claimedOwner || !isDeadLocalOwner(claimedOwner)) {
    // between the read and the rename another process took over and recorded itself: put its file back
    await rename(claimed, lockOwnerPath(lockPath)).catch(() => {});
    return undefined;
  }
  await rm(lockPath, { recursive: true, force: true });
  await rm(claimed, { force: true });
  return owner;
}

/** The message said when a dead owner's lock is taken over. */
export function takeOverMessage(what: string, lockPath: string, owner: LockOwner): string {
  return (
    `took over the lock on ${what} (${lockPath}) left by process ${owner.pid} on ${owner.host}, ` +
    `started ${owner.startedAt}, which is no longer running`
  );
}

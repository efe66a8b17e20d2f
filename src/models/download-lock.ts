// src/models/download-lock.ts — the per-model lock a pull holds from its first download to its end, so one
// process at a time writes a model's `.part` files; a pull that waited for another starts over (StartOver).
import { join } from 'node:path';
import {
  acquireInstallLock,
  type HeldInstallLock,
  type InstallLockOptions,
  LockWaitStopped,
} from '../host/install-lock.js';
import { readLockOwner } from '../host/lock-owner.js';

/** The lock a pull of registry model `id` holds: `<toonlora home>/downloads/<id>.lock`. */
export function downloadLockPath(toonloraHome: string, id: string): string {
  return join(toonloraHome, 'downloads', `${id}.lock`);
}

/** The lock a pull of Hub repo `owner/name` outside the registry holds: `downloads/hub--owner--name.lock`. */
export function hubDownloadLockPath(toonloraHome: string, repo: string): string {
  return join(toonloraHome, 'downloads', `hub--${repo.replace('/', '--')}.lock`);
}

/**
 * Takes the lock at `path` only if no live process holds it (a dead one's is taken over), without waiting:
 * the held lock, or `{ heldBy }`: the lock and, when recorded, its holder (`lock <path>, held by process 12 on
 * host since <time>`), for `models rm`'s refusal.
 */
export async function takeLockIfFree(
  path: string,
  what: string,
): Promise<HeldInstallLock | { heldBy: string }> {
  const controller = new AbortController();
  try {
    return await acquireInstallLock(path, {
      what,
      signal: controller.signal,
      onWait: () => controller.abort(),
      onTakeOver: () => {},
    });
  } catch (error) {
    if (!(error instanceof LockWaitStopped)) throw error;
    const owner = await readLockOwner(path);
    const holder = owner ? `, held by process ${owner.pid} on ${owner.host} since ${owner.startedAt}` : '';
    return { heldBy: `lock ${path}${holder}` };
  }
}

/** Thrown by DownloadLock.take when another process held the lock: the pull starts over, holding it. */
export class StartOver extends Error {}

/**
 * A model's download lock (`<toonlora home>/downloads/<id>.lock`), taken before a pull's first download and
 * held to its end, so one process at a time writes the model's `.part` files. A pull that finds everything
 * on disk takes no lock (a read-only home still serves it). `preflight` runs first (pull-guards.ts: offline
 * mode, writable caches). If another process held the lock, what it downloaded meanwhile is looked for
 * again: `take` then throws StartOver.
 */
export class DownloadLock {
  private held: HeldInstallLock | undefined;

  constructor(
    private readonly path: string,
    private readonly options: InstallLockOptions,
    private readonly preflight: () => Promise<void>,
  ) {}

  async take(): Promise<void> {
    if (this.held) return;
    await this.preflight();
    this.held = await acquireInstallLock(this.path, this.options);
    if (this.held.waited) throw new StartOver();
  }

  async release(): Promise<void> {
    await this.held?.release();
  }
}

/** Runs `attempt` until it ends without StartOver (the lock was taken after a wait: look again). */
export async function untilSettled<T>(attempt: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof StartOver)) throw error;
    }
  }
}

// src/models/download-lock.ts — the per-model lock a pull holds from its first download to its end, so one
// process at a time writes a model's `.part` files; a pull that waited for another starts over (StartOver).
import { acquireInstallLock, type HeldInstallLock, type InstallLockOptions } from '../host/install-lock.js';

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

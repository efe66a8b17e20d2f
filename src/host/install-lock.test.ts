// Tests of the install lock: a second holder waits (in this process and from another process), a dead
// holder's lock is taken over, and the lock is released when the work throws.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { lockWaitMessage, withInstallLock } from './install-lock.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'toonlora-lock-'));
  return () => rmSync(root, { recursive: true, force: true });
});

/** A promise and the function that resolves it: the test opens it when the event it stands for happens. */
function signal(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** One turn of the event loop (not a time): what is already due, such as a wrongly granted lock's work, runs. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('withInstallLock', () => {
  it('runs a second holder only after the first one is done, telling it once that it waits', async () => {
    const lockPath = join(root, 'locks', 'venv.lock'); // the parent folder does not exist yet
    const events: string[] = [];
    const waits: string[] = [];
    const firstHolds = signal();
    const secondWaits = signal();
    const first = withInstallLock(lockPath, { what: 'A' }, async () => {
      events.push('first start');
      firstHolds.open();
      await secondWaits.promise; // held until the second holder has found it taken
      await turn(); // a second holder that wrongly went on would run now
      events.push('first end');
    });
    await firstHolds.promise;
    const second = withInstallLock(
      lockPath,
      {
        what: 'the venv',
        pollMs: 20,
        onWait: (m) => {
          waits.push(m);
          secondWaits.open();
        },
      },
      async () => {
        events.push('second start');
        return 'second result';
      },
    );
    await first;
    expect(await second).toBe('second result');
    expect(events).toEqual(['first start', 'first end', 'second start']);
    expect(waits).toHaveLength(1);
    const since = waits[0]?.match(/ since (\S+), taken over/)?.[1] ?? '';
    expect(waits[0]).toBe(
      lockWaitMessage('the venv', lockPath, { pid: process.pid, host: hostname(), startedAt: since }),
    );
    expect(Number.isNaN(Date.parse(since))).toBe(false); // the first holder's start time
    expect(waits[0]).toContain('another toonlora process is installing the venv');
    expect(existsSync(lockPath)).toBe(false);
  });

  it('waits for a lock held by another process', async () => {
    const lockPath = join(root, 'model.lock');
    // The child takes the same lock with proper-lockfile itself and holds it until told on stdin to release it;
    // it writes `releasing` first, so the lock can be ours only once that file is there.
    const releasing = join(root, 'releasing');
    const require = createRequire(import.meta.url);
    const script =
      `const l = require(${JSON.stringify(require.resolve('proper-lockfile'))});` +
      `l.lock(${JSON.stringify(lockPath)}, { realpath: false, lockfilePath: ${JSON.stringify(lockPath)}, stale: 60000 })` +
      `.then((release) => { process.stdout.write('held\\n');` +
      `process.stdin.once('data', () => { require('node:fs').writeFileSync(${JSON.stringify(releasing)}, '');` +
      `release().then(() => process.stdout.write('released\\n')); }); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    const closed = new Promise((resolve) => child.once('close', resolve));
    let childOut = '';
    const held = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        childOut += chunk.toString();
        if (childOut.includes('held')) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`the lock-holding child exited (${code}) before taking the lock`)),
      );
    });
    await held;
    const events: string[] = [];
    const waits: string[] = [];
    await withInstallLock(
      lockPath,
      {
        what: 'model x',
        pollMs: 50,
        onWait: (m) => {
          waits.push(m);
          events.push('waiting');
          child.stdin.end('release\n'); // the child lets go only once this process waits for it
        },
      },
      async () => {
        events.push(existsSync(releasing) ? 'holding after the child let go' : 'holding with the child');
      },
    );
    expect(events).toEqual(['waiting', 'holding after the child let go']);
    expect(waits).toHaveLength(1);
    await closed;
    expect(childOut).toContain('released');
  });

  it('takes over a lock that a dead process left (not refreshed for longer than staleMs)', async () => {
    const lockPath = join(root, 'stale.lock');
    mkdirSync(lockPath);
    const old = new Date(Date.now() - 120_000);
    utimesSync(lockPath, old, old);
    const waits: string[] = [];
    const result = await withInstallLock(
      lockPath,
      { what: 'x', onWait: (m) => waits.push(m) },
      async () => 42,
    );
    expect(result).toBe(42);
    expect(waits).toEqual([]);
  });

  it('waits for a fresh lock folder, and releases the lock when the work throws', async () => {
    const lockPath = join(root, 'fresh.lock');
    const firstHolds = signal();
    const nextWaits = signal();
    const events: string[] = [];
    const holding = withInstallLock(lockPath, { what: 'x' }, async () => {
      firstHolds.open();
      await nextWaits.promise;
      await turn(); // a next holder that wrongly went on would run now
      events.push('first failed');
      throw new Error('pip failed');
    });
    await firstHolds.promise;
    expect(existsSync(lockPath)).toBe(true);
    const waits: string[] = [];
    const next = withInstallLock(
      lockPath,
      {
        what: 'x',
        pollMs: 20,
        onWait: (m) => {
          waits.push(m);
          nextWaits.open();
        },
      },
      async () => {
        events.push('next start');
        return 'next';
      },
    );
    await expect(holding).rejects.toThrow('pip failed');
    expect(await next).toBe('next'); // the lock was released by the throw, not left to go stale (60 s)
    expect(waits).toHaveLength(1);
    expect(events).toEqual(['first failed', 'next start']);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('makes the parent folder again when another process removed it, empty, before the lock was taken', async () => {
    const lockPath = join(root, 'downloads', 'lama.lock');
    const real = lockfile.lock.bind(lockfile);
    // a failed `models pull` elsewhere removes its empty downloads/ right after our mkdir
    const spy = vi.spyOn(lockfile, 'lock').mockImplementationOnce((file, options) => {
      rmSync(join(root, 'downloads'), { recursive: true });
      return real(file, options);
    });
    try {
      expect(await withInstallLock(lockPath, { what: 'model lama' }, async () => existsSync(lockPath))).toBe(
        true,
      );
      expect(spy).toHaveBeenCalledTimes(2);
    } finally {
      spy.mockRestore();
    }
  });
});

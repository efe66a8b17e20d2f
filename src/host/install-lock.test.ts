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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('withInstallLock', () => {
  it('runs a second holder only after the first one is done, telling it once that it waits', async () => {
    const lockPath = join(root, 'locks', 'venv.lock'); // the parent folder does not exist yet
    const events: string[] = [];
    const waits: string[] = [];
    const first = withInstallLock(lockPath, { what: 'A' }, async () => {
      events.push('first start');
      await sleep(400);
      events.push('first end');
    });
    await sleep(50);
    const second = withInstallLock(
      lockPath,
      { what: 'the venv', pollMs: 20, onWait: (m) => waits.push(m) },
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
    // The child takes the same lock with proper-lockfile itself, holds it 1.5 s, then releases it.
    const require = createRequire(import.meta.url);
    const script =
      `const l = require(${JSON.stringify(require.resolve('proper-lockfile'))});` +
      `l.lock(${JSON.stringify(lockPath)}, { realpath: false, lockfilePath: ${JSON.stringify(lockPath)}, stale: 60000 })` +
      `.then((release) => { process.stdout.write('held\\n'); setTimeout(() => release().then(() => process.stdout.write('released\\n')), 1500); });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const closed = new Promise((resolve) => child.once('close', resolve));
    let childOut = '';
    child.stdout.on('data', (chunk: Buffer) => {
      childOut += chunk.toString();
    });
    while (!childOut.includes('held')) {
      if (child.exitCode !== null)
        throw new Error(`the lock-holding child exited (${child.exitCode}) before taking the lock`);
      await sleep(20);
    }
    const waits: string[] = [];
    const started = Date.now();
    await withInstallLock(
      lockPath,
      { what: 'model x', pollMs: 50, onWait: (m) => waits.push(m) },
      async () => {
        expect(childOut).toContain('released');
      },
    );
    expect(Date.now() - started).toBeGreaterThan(1000);
    expect(waits).toHaveLength(1);
    await closed;
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
    const holding = withInstallLock(lockPath, { what: 'x' }, async () => {
      await sleep(200);
      throw new Error('pip failed');
    });
    await sleep(20);
    expect(existsSync(lockPath)).toBe(true);
    await expect(holding).rejects.toThrow('pip failed');
    expect(existsSync(lockPath)).toBe(false);
    expect(await withInstallLock(lockPath, { what: 'x' }, async () => 'next')).toBe('next');
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

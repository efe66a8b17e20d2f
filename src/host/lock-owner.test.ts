// Tests of the lock owner record: a lock left by a killed process of this host is taken over at once
// (saying so), one held by a live process is waited for, and one of another host is left to the stale rule.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { withInstallLock } from './install-lock.js';
import { isDeadLocalOwner, type LockOwner, lockOwnerPath, removeDeadOwnersLock } from './lock-owner.js';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'toonlora-lock-owner-'));
  return () => rmSync(root, { recursive: true, force: true });
});

/** The pid of a process that has run and ended (reaped): nothing answers to it now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

/** A lock folder as a killed pull leaves it: fresh (not stale for a minute), with its owner file. */
function leaveLock(lockPath: string, owner: LockOwner): void {
  mkdirSync(lockPath, { recursive: true });
  writeFileSync(lockOwnerPath(lockPath), JSON.stringify(owner));
}

describe('lock owner', () => {
  it('takes over at once the lock of a killed process of this host, and says whose it was', async () => {
    const lockPath = join(root, 'downloads', 'lama.lock');
    const pid = deadPid();
    leaveLock(lockPath, { pid, host: hostname(), startedAt: '2026-01-02T03:04:05.000Z' });
    const said: string[] = [];
    const result = await withInstallLock(
      lockPath,
      { what: 'model lama', onWait: (m) => said.push(m) },
      async () => {
        const owner = JSON.parse(readFileSync(lockOwnerPath(lockPath), 'utf8'));
        expect(owner).toMatchObject({ pid: process.pid, host: hostname() });
        return 'pulled';
      },
    );
    expect(result).toBe('pulled');
    expect(said).toEqual([
      `took over the lock on model lama (${lockPath}) left by process ${pid} on ${hostname()}, started 2026-01-02T03:04:05.000Z, which is no longer running`,
    ]);
    expect(existsSync(lockPath)).toBe(false);
    expect(existsSync(lockOwnerPath(lockPath))).toBe(false);
  });

  it('waits while the owner of this host runs, and takes over once it is killed', async () => {
    const lockPath = join(root, 'lama.lock');
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    leaveLock(lockPath, { pid: child.pid ?? 0, host: hostname(), startedAt: new Date().toISOString() });
    const said: string[] = [];
    let acquired = false;
    let toldFirst = () => {};
    const firstTold = new Promise<void>((resolve) => {
      toldFirst = resolve;
    });
    const taking = withInstallLock(
      lockPath,
      {
        what: 'model lama',
        pollMs: 20,
        onWait: (m) => {
          said.push(m);
          toldFirst();
        },
      },
      async () => {
        acquired = true;
      },
    );
    await firstTold;
    expect(acquired).toBe(false); // a live owner is waited for, not taken over
    expect(said[0]).toContain('another toonlora process is installing model lama');
    child.kill('SIGKILL');
    await exited;
    await taking;
    expect(acquired).toBe(true);
    expect(said[1]).toContain(`left by process ${child.pid} on ${hostname()}`);
  });

  it("leaves another host's lock to the stale rule: its process cannot be checked from here", async () => {
    const lockPath = join(root, 'blip.lock');
    const owner = { pid: deadPid(), host: `not-${hostname()}`, startedAt: new Date().toISOString() };
    leaveLock(lockPath, owner);
    expect(isDeadLocalOwner(owner)).toBe(false);
    expect(await removeDeadOwnersLock(lockPath)).toBeUndefined();
    expect(existsSync(lockPath)).toBe(true);
    expect(isDeadLocalOwner({ ...owner, host: hostname() })).toBe(true);
  });
});

// test/helpers/counting-spawn.ts — a worker spawn for a train runner that records each read of it (the runner
// reads it only to start the worker) and starts `false`, no Python: for tests that a job reached, or failed
// before, its worker.
import type { WorkerSpawn } from '../../src/worker/python-worker.js';

/** The spawn, and the keys read from it so far (empty: no worker was started). */
export function countingWorkerSpawn(): { spawn: WorkerSpawn; reads: string[] } {
  const reads: string[] = [];
  const spawn = new Proxy({ command: 'false', args: [], cwd: '/' } as WorkerSpawn, {
    get(target, key) {
      reads.push(String(key));
      return Reflect.get(target, key);
    },
  });
  return { spawn, reads };
}

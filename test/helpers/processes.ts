// test/helpers/processes.ts — whether a process the test started (a worker, a fake worker) still runs.
import { existsSync, readFileSync } from 'node:fs';

/** Whether `pid` still runs: a killed child whose parent died first may linger as a zombie until reaped (state Z). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = existsSync(`/proc/${pid}/stat`) ? readFileSync(`/proc/${pid}/stat`, 'utf8') : '';
  return !/^\d+ \(.*\) Z/.test(stat);
}

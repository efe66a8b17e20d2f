// test/helpers/serve-process.ts — runs `./toonlora serve` as a child process on loopback (ephemeral
// port) so a test can kill it like a crash and start it again on the same data folder.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { modelHomesEnv } from './server-fixtures.js';

const ROOT = join(import.meta.dirname, '..', '..');

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  /** stderr so far (for failure messages). */
  stderr: () => string;
  /** SIGKILL to the server and its workers (the process group): no graceful shutdown, like a power loss. */
  kill: () => Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop: () => Promise<number | null>;
}

export function startServeProcess(dataDir: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(join(ROOT, 'toonlora'), ['serve', '--port', '0', '--json', '--data', dataDir], {
    cwd: ROOT,
    env: { ...process.env, ...modelHomesEnv(dataDir), ...env }, // its own model homes, the same across restarts
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so `kill` can take down the server and its Python worker together.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s:\n${stderr}`)), 60_000);
    child.on('exit', (code) => reject(new Error(`serve exited with ${code} before listening:\n${stderr}`)));
    child.stdout?.on('data', (chunk) => {
      stdout += String(chunk);
      try {
        const { url } = JSON.parse(stdout) as { url: string };
        clearTimeout(timer);
        resolve({
          url,
          child,
          stderr: () => stderr,
          kill: async () => {
            process.kill(-(child.pid as number), 'SIGKILL');
            await exited;
          },
          stop: async () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      } catch {
        // the JSON document is not complete yet
      }
    });
  });
}

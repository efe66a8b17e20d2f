// test/helpers/run-cli.ts — runs `./toonlora` as a subprocess (how users and the Python suite call it)
// and returns its exit code and output instead of throwing on a non-zero exit.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const cli = resolve(import.meta.dirname, '..', '..', 'toonlora');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runToonlora(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; timeout?: number; cwd?: string } = {},
): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run(cli, args, {
      env: options.env,
      timeout: options.timeout ?? 60_000,
      ...(options.cwd ? { cwd: options.cwd } : {}),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as CliRun;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

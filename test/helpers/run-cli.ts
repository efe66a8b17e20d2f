// test/helpers/run-cli.ts — runs `./toonlora` as a subprocess (how users and the Python suite call it)
// and returns its exit code and output instead of throwing on a non-zero exit; and `toonlora prep` run
// synchronously in a fresh folder of its own.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

/** A fresh folder for `toonlora prep` runs, the environment they get, and a runner of `prep <args>` there. */
export interface PrepFolder {
  root: string;
  /** process.env with toonlora's home and the HF cache inside `root`, and no colours. */
  env: NodeJS.ProcessEnv;
  /** Runs `toonlora prep <args>` in `root`, waiting for it (at most the folder's timeout). */
  prep(args: string[]): { status: number | null; stdout: string; stderr: string };
}

/** A temporary folder named after `label` whose `prep` runs end after `timeout` ms. */
export function prepFolder(label: string, timeout: number): PrepFolder {
  const root = mkdtempSync(join(tmpdir(), `toonlora-${label}-`));
  const env = { ...process.env, TOONLORA_HOME: join(root, 'home'), HF_HOME: join(root, 'hf'), NO_COLOR: '1' };
  const prep = (args: string[]) => {
    const run = spawnSync(cli, ['prep', ...args], { cwd: root, env, encoding: 'utf8', timeout });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };
  return { root, env, prep };
}

// src/worker/worker-spawn.ts — how the Python worker is started: the trainer/ folder, the venv's interpreter
// (a clear TL_ERR_PYTHON_ENV when it is missing), the real command line for a worker command and the environment
// it runs with (path variables made absolute, and this process's pid for the worker's parent watch).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveVenvPath, venvPythonPath } from '../env/python-env.js';
import { ToonloraError } from '../errors.js';
import { absolutePathEnv } from '../models/cache-paths.js';
import type { WorkerCommand } from './protocol.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The Python package's folder: the worker runs with it as cwd and on PYTHONPATH. */
export const TRAINER_DIR = join(REPO_ROOT, 'trainer');

/** How to start the worker; tests swap in a fake worker script. */
export interface WorkerSpawn {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The worker's Python: the interpreter of the venv `toonlora setup` made (`$TOONLORA_VENV`, else
 * `trainer/.venv`) — the same rule setup and doctor use.
 * @throws TL_ERR_PYTHON_ENV naming the path and `toonlora setup` when it does not exist.
 */
export function resolveWorkerPython(env: NodeJS.ProcessEnv = process.env): string {
  const python = venvPythonPath(resolveVenvPath(undefined, env, REPO_ROOT));
  if (!existsSync(python)) {
    throw new ToonloraError(
      'TL_ERR_PYTHON_ENV',
      `${python}: the Python worker environment is missing. Run: toonlora setup (or set TOONLORA_VENV to an existing one).`,
      { details: { python } },
    );
  }
  return python;
}

/** The real worker for `command`. */
export function defaultWorkerSpawn(command: WorkerCommand): WorkerSpawn {
  return {
    command: resolveWorkerPython(),
    args: ['-m', 'toonlora_trainer', command],
    cwd: TRAINER_DIR,
    env: { PYTHONPATH: TRAINER_DIR, PYTHONUNBUFFERED: '1' },
  };
}

/**
 * The variable that tells the worker which process started it (trainer/toonlora_trainer/parent_watch.py
 * PARENT_PID_ENV): one that died while Python started up (before the worker's parent watch was set up, when the
 * worker's parent is already init) is noticed at once, not never.
 */
export const PARENT_PID_ENV = 'TOONLORA_WORKER_PARENT_PID';

/**
 * The worker's environment: ours, with each path variable (TOONLORA_HOME, HF_HOME, HF_HUB_CACHE, U2NET_HOME, ...)
 * made absolute as the CLI reads it (the worker runs in trainer/, where a relative one names another folder), then
 * the spawn's own variables, and this process's pid (PARENT_PID_ENV: the worker's parent is always this process).
 */
export function workerEnv(
  spec: Pick<WorkerSpawn, 'env'>,
  env: NodeJS.ProcessEnv = process.env,
  homeDir: string = homedir(),
  parentPid: number = process.pid,
): NodeJS.ProcessEnv {
  return {
    ...env,
    ...absolutePathEnv(env, homeDir),
    ...spec.env,
    [PARENT_PID_ENV]: String(parentPid),
  };
}

// src/env/python-env.ts — the Python worker's environment: finds or creates the venv (trainer/.venv,
// TOONLORA_VENV or --venv), installs torch (build chosen per machine) then the pinned requirements,
// and writes a stamp so a re-run with unchanged requirements returns at once. Never deletes a venv,
// except one without pip (its creation was interrupted), which it creates again.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { withInstallLock } from '../host/install-lock.js';
import { PROJECT_ROOT } from '../models/cache.js';
import { pathVar } from '../models/cache-paths.js';
import {
  buildStamp,
  chooseTorchInstall,
  type EnvStamp,
  type MachineFacts,
  type RequirementFile,
  readTorchPin,
  staleReason,
  TORCH_INDEX_ENV,
  type TorchInstall,
  torchVersionMatches,
} from './torch-choice.js';

export const STAMP_FILE = '.toonlora-stamp.json';
/** Oldest Python the pinned torch / diffusers wheels support. */
export const MIN_PYTHON: readonly [number, number] = [3, 10];

/** Runs a program, streaming its output to our stderr; resolves with its exit code. Injected in tests. */
export type CommandRunner = (program: string, args: readonly string[]) => Promise<number>;
/** Runs a program and captures stdout; undefined when it cannot start, fails or times out. */
export type CommandCapture = (
  program: string,
  args: readonly string[],
  timeoutMs: number,
) => string | undefined;

/** Streams the child's stdout and stderr to our stderr (stdout stays clean for --json). */
export const streamToStderr: CommandRunner = (program, args) =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 2, 2] });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise(code ?? 1));
  });

export const captureStdout: CommandCapture = (program, args, timeoutMs) => {
  const result = spawnSync(program, args, { encoding: 'utf8', timeout: timeoutMs });
  if (result.error || result.status !== 0) return undefined;
  return result.stdout;
};

export interface PythonEnvOptions {
  /** --venv; else TOONLORA_VENV; else <repo>/trainer/.venv. */
  venv?: string;
  /** Also install requirements-dev.txt (pytest, onnx, ...). */
  dev?: boolean;
  /** Reinstall even when the stamp says nothing changed. */
  force?: boolean;
  env?: Readonly<Record<string, string | undefined>>;
  projectRoot?: string;
  platform?: string;
  run?: CommandRunner;
  capture?: CommandCapture;
  /** Progress lines ("creating venv", "installing torch"); default: stderr. */
  log?: (line: string) => void;
  /** Told (with the venv's path) before the install writes into the venv: its creation, then pip. */
  onInstall?: (venv: string) => void;
  now?: () => Date;
}

export interface PythonEnvResult {
  venv: string;
  python: string;
  pythonVersion: string;
  /** `up-to-date`: nothing ran; `installed`: pip ran (a new venv or changed requirements). */
  status: 'up-to-date' | 'installed';
  /** Why pip ran (or why not). */
  reason: string;
  createdVenv: boolean;
  torch: { spec: string; pipArgs: string[]; reason: string; installedNow: boolean };
  requirements: string[];
}

/**
 * The venv folder: `--venv`, then TOONLORA_VENV, then `<repo>/trainer/.venv`; a leading `~` expanded and a
 * relative path taken from the working folder, as TOONLORA_HOME and HF_HOME are.
 */
export function resolveVenvPath(
  flag: string | undefined,
  env: PythonEnvOptions['env'],
  projectRoot: string,
  homeDir: string = homedir(),
): string {
  const chosen = pathVar(flag ?? env?.TOONLORA_VENV?.trim(), homeDir);
  return chosen ?? join(projectRoot, 'trainer', '.venv');
}

/** The venv's interpreter path (`bin/python`, or `Scripts/python.exe` on Windows). */
export function venvPythonPath(venv: string, platform: string = process.platform): string {
  return platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python');
}

/** `Python 3.11.7` -> `3.11.7`; undefined if it is not a version line. */
export function parsePythonVersion(output: string | undefined): string | undefined {
  return output?.match(/(\d+\.\d+\.\d+)/)?.[1];
}

function isOldPython(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1]);
}

/** The system interpreter that creates venvs: TOONLORA_PYTHON, else python3 (python on Windows). */
export function systemPythonCommand(env: PythonEnvOptions['env'], platform: string): string {
  return env?.TOONLORA_PYTHON?.trim() || (platform === 'win32' ? 'python' : 'python3');
}

/** Whether `nvidia-smi -L` lists a GPU (5 s limit). */
export function detectNvidiaGpu(capture: CommandCapture = captureStdout): boolean {
  return /GPU \d+/.test(capture('nvidia-smi', ['-L'], 5_000) ?? '');
}

function readRequirementFiles(root: string, dev: boolean): RequirementFile[] {
  const names = dev ? ['requirements.txt', 'requirements-dev.txt'] : ['requirements.txt'];
  return names.map((name) => {
    const path = join(root, 'trainer', name);
    try {
      return { name, content: readFileSync(path, 'utf8') };
    } catch (cause) {
      throw new ToonloraError('TL_ERR_PYTHON_ENV', `${path}: cannot read it (${String(cause)}).`, { cause });
    }
  });
}

/** The stamp inside a venv, or undefined when absent or unreadable. */
export function readStamp(venv: string): EnvStamp | undefined {
  try {
    return JSON.parse(readFileSync(join(venv, STAMP_FILE), 'utf8')) as EnvStamp;
  } catch {
    return undefined;
  }
}

function pythonVersionOf(python: string, capture: CommandCapture): string | undefined {
  return parsePythonVersion(capture(python, ['--version'], 30_000));
}

async function runStep(run: CommandRunner, program: string, args: string[], what: string): Promise<void> {
  let code: number;
  try {
    code = await run(program, args);
  } catch (cause) {
    throw new ToonloraError('TL_ERR_PYTHON_ENV', `${what}: cannot start ${program} (${String(cause)}).`, {
      cause,
    });
  }
  if (code !== 0) {
    throw new ToonloraError(
      'TL_ERR_PYTHON_ENV',
      `${what} failed (exit ${code}): ${program} ${args.join(' ')}. See pip's output above; ` +
        `without network, pip needs the wheels in a local --find-links folder.`,
    );
  }
}

async function createVenvIfMissing(
  venv: string,
  python: string,
  o: Required<Pick<PythonEnvOptions, 'run'>> & {
    capture: CommandCapture;
    system: string;
    log: (line: string) => void;
    onInstall?: (venv: string) => void;
  },
): Promise<boolean> {
  if (existsSync(python)) return false;
  const version = parsePythonVersion(o.capture(o.system, ['--version'], 30_000));
  if (!version) {
    throw new ToonloraError(
      'TL_ERR_PYTHON_ENV',
      `python: "${o.system}" was not found. Install Python >= ${MIN_PYTHON.join('.')} (with venv) or set TOONLORA_PYTHON.`,
    );
  }
  if (isOldPython(version)) {
    throw new ToonloraError(
      'TL_ERR_PYTHON_ENV',
      `python: ${o.system} is ${version}; the pinned torch needs >= ${MIN_PYTHON.join('.')}. Set TOONLORA_PYTHON to a newer one.`,
    );
  }
  o.onInstall?.(venv);
  o.log(`setup: creating ${venv} with ${o.system} ${version}`);
  await mkdir(dirname(venv), { recursive: true });
  await runStep(o.run, o.system, ['-m', 'venv', venv], `python -m venv ${venv}`);
  return true;
}

/** Whether the venv's python has pip: `python -m venv` stopped inside ensurepip (Ctrl-C) leaves one without. */
function hasPip(python: string, capture: CommandCapture): boolean {
  return capture(python, ['-m', 'pip', '--version'], 60_000) !== undefined;
}

/**
 * Creates the venv again (`python -m venv --clear`) when it has no pip: nothing can be installed into it,
 * and nothing was (pip is what installs). Returns whether it did.
 * @throws ToonloraError TL_ERR_PYTHON_ENV when the new venv has no pip either (a Python without ensurepip)
 */
async function recreateVenvWithoutPip(
  venv: string,
  python: string,
  o: { run: CommandRunner; capture: CommandCapture; system: string; log: (line: string) => void },
): Promise<boolean> {
  if (hasPip(python, o.capture)) return false;
  o.log(`setup: ${venv} has no pip (its creation was interrupted, e.g. by Ctrl-C); creating it again`);
  await runStep(o.run, o.system, ['-m', 'venv', '--clear', venv], `python -m venv --clear ${venv}`);
  if (!hasPip(python, o.capture)) {
    throw new ToonloraError(
      'TL_ERR_PYTHON_ENV',
      `${venv}: ${o.system} -m venv made a venv without pip. Install its venv / ensurepip support (e.g. apt install python3-venv) or set TOONLORA_PYTHON to another Python.`,
    );
  }
  return true;
}

/**
 * Creates / updates the worker's venv. Unchanged requirements (same stamp) return at once without
 * running pip; an existing venv without a stamp gets `pip install` (a no-op where all is satisfied)
 * and then the stamp; a venv without pip (an interrupted creation) is created again first. pip's output
 * streams to stderr. One process at a time installs into a venv: a
 * second one (another `setup`, or `train` on a fresh machine) says it waits, then finds the stamp current.
 * @throws ToonloraError TL_ERR_PYTHON_ENV naming the step, the command and the fix.
 */
export async function setupPythonEnv(options: PythonEnvOptions = {}): Promise<PythonEnvResult> {
  const venv = resolveVenvPath(options.venv, options.env ?? process.env, options.projectRoot ?? PROJECT_ROOT);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const lock = {
    what: `the worker venv ${venv}`,
    onWait: (m: string) => log(`setup: ${m}`),
    onCompromised: log,
  };
  return withInstallLock(`${venv}.lock`, lock, () => installPythonEnv({ ...options, venv, log }));
}

async function installPythonEnv(
  options: PythonEnvOptions & { venv: string; log: (line: string) => void },
): Promise<PythonEnvResult> {
  const env = options.env ?? process.env;
  const root = options.projectRoot ?? PROJECT_ROOT;
  const platform = options.platform ?? process.platform;
  const run = options.run ?? streamToStderr;
  const capture = options.capture ?? captureStdout;
  const { venv, log } = options;
  const dev = options.dev ?? false;
  const python = venvPythonPath(venv, platform);
  const files = readRequirementFiles(root, dev);
  const torchVersion = readTorchPin(files[0]?.content ?? '');
  const machine: MachineFacts = {
    platform,
    hasNvidiaGpu: detectNvidiaGpu(capture),
    torchIndexUrl: env[TORCH_INDEX_ENV],
  };
  const torch: TorchInstall = chooseTorchInstall(torchVersion, machine);
  const system = systemPythonCommand(env, platform);
  const onInstall = options.onInstall;
  let createdVenv = await createVenvIfMissing(venv, python, { run, capture, system, log, onInstall });
  const pythonVersion = pythonVersionOf(python, capture);
  if (!pythonVersion) {
    throw new ToonloraError(
      'TL_ERR_PYTHON_ENV',
      `${python}: the venv's Python does not run. Move ${venv} aside (it is never deleted by toonlora) and run: toonlora setup`,
    );
  }
  const reason = options.force ? '--force' : staleReason(readStamp(venv), files, torch, pythonVersion);
  const base = { venv, python, pythonVersion, createdVenv, requirements: files.map((f) => f.name) };
  if (reason === undefined) {
    return {
      ...base,
      status: 'up-to-date',
      reason: 'requirements unchanged since the last setup',
      torch: { ...torch, installedNow: false },
    };
  }
  onInstall?.(venv);
  if (await recreateVenvWithoutPip(venv, python, { run, capture, system, log })) createdVenv = true;
  log(`setup: installing into ${venv} (${reason})`);
  const installedTorch = capture(
    python,
    ['-c', 'import importlib.metadata as m; print(m.version("torch"))'],
    60_000,
  );
  let installedNow = false;
  if (!torchVersionMatches(installedTorch?.trim(), torchVersion)) {
    log(`setup: pip install ${[torch.spec, ...torch.pipArgs].join(' ')} — ${torch.reason}`);
    if (torch.note) log(`setup: note: ${torch.note}`);
    await runStep(
      run,
      python,
      ['-m', 'pip', 'install', torch.spec, ...torch.pipArgs],
      `pip install ${torch.spec}`,
    );
    installedNow = true;
  }
  const last = files[files.length - 1] as RequirementFile;
  const reqPath = join(root, 'trainer', last.name);
  await runStep(run, python, ['-m', 'pip', 'install', '-r', reqPath], `pip install -r ${reqPath}`);
  const stamp = buildStamp(files, torch, pythonVersion, (options.now ?? (() => new Date()))());
  await writeFile(join(venv, STAMP_FILE), `${JSON.stringify(stamp, null, 2)}\n`);
  return { ...base, createdVenv, status: 'installed', reason, torch: { ...torch, installedNow } };
}

/**
 * The venv's python, installing what is missing first (for commands that need the worker).
 * Fast path: the stamp is current, so nothing runs but `python --version`.
 */
export async function ensurePythonEnv(options: PythonEnvOptions = {}): Promise<string> {
  return (await setupPythonEnv(options)).python;
}

// Tests of `toonlora setup`'s steps with a fake command runner: what runs on a fresh machine, on an
// existing venv without a stamp, on a re-run, and after a requirements change. No real pip here.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { ToonloraError } from '../errors.js';
import {
  type CommandCapture,
  type CommandRunner,
  type PythonEnvOptions,
  parsePythonVersion,
  resolveVenvPath,
  STAMP_FILE,
  setupPythonEnv,
  venvPythonPath,
} from './python-env.js';

let root: string;
let calls: string[];
let torchInstalled: string | undefined;
let systemPython: string | undefined;
/** Whether the venv's python has pip (a venv made by the fake `-m venv` does). */
let pipPresent: boolean;

/** Fake runner: `-m venv` creates bin/python with pip; pip installs of torch set the installed version. */
const run: CommandRunner = async (program, args) => {
  calls.push([program, ...args].join(' '));
  if (args[0] === '-m' && args[1] === 'venv') {
    const python = venvPythonPath(args.at(-1) as string, 'linux');
    mkdirSync(join(python, '..'), { recursive: true });
    writeFileSync(python, '');
    pipPresent = true;
  }
  if (args.includes('torch==2.13.0')) torchInstalled = '2.13.0+cpu';
  return 0;
};

const capture: CommandCapture = (program, args) => {
  if (program === 'nvidia-smi') return undefined;
  if (args[0] === '--version') return program === 'python3' ? systemPython : 'Python 3.11.7\n';
  if (args[0] === '-c') return torchInstalled;
  if (args.join(' ') === '-m pip --version') return pipPresent ? 'pip 26.0\n' : undefined;
  return undefined;
};

function options(extra: Partial<PythonEnvOptions> = {}): PythonEnvOptions {
  return { projectRoot: root, env: {}, platform: 'linux', run, capture, log: () => {}, ...extra };
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'toonlora-env-'));
  mkdirSync(join(root, 'trainer'));
  writeFileSync(join(root, 'trainer', 'requirements.txt'), 'torch==2.13.0\ndiffusers==0.42.1\n');
  writeFileSync(join(root, 'trainer', 'requirements-dev.txt'), '-r requirements.txt\npytest==9.2.0\n');
  calls = [];
  torchInstalled = undefined;
  systemPython = 'Python 3.11.7\n';
  pipPresent = true;
  return () => rmSync(root, { recursive: true, force: true });
});

describe('resolveVenvPath', () => {
  it('prefers --venv, then TOONLORA_VENV, then trainer/.venv', () => {
    expect(resolveVenvPath('/v', { TOONLORA_VENV: '/e' }, '/r')).toBe('/v');
    expect(resolveVenvPath(undefined, { TOONLORA_VENV: '/e' }, '/r')).toBe('/e');
    expect(resolveVenvPath(undefined, {}, '/r')).toBe('/r/trainer/.venv');
    // ~ expanded as for TOONLORA_HOME (it made a ./~ folder); relative from the working folder
    expect(resolveVenvPath(undefined, { TOONLORA_VENV: '~/tlvenv' }, '/r', '/home/u')).toBe('/home/u/tlvenv');
    expect(resolveVenvPath('~/v', {}, '/r', '/home/u')).toBe('/home/u/v');
    expect(resolveVenvPath(undefined, { TOONLORA_VENV: 'rel ' }, '/r', '/home/u')).toBe(resolve('rel'));
    expect(resolveVenvPath(undefined, { TOONLORA_VENV: ' ' }, '/r')).toBe('/r/trainer/.venv');
    expect(venvPythonPath('/v', 'win32')).toBe(join('/v', 'Scripts', 'python.exe'));
    expect(parsePythonVersion('Python 3.11.7\n')).toBe('3.11.7');
  });
});

describe('setupPythonEnv', () => {
  it('on a fresh machine: creates the venv, installs torch first, then the requirements, then stamps', async () => {
    const venv = join(root, 'trainer', '.venv');
    const result = await setupPythonEnv(options());
    const python = join(venv, 'bin', 'python');
    expect(calls).toEqual([
      `python3 -m venv ${venv}`,
      `${python} -m pip install torch==2.13.0`,
      `${python} -m pip install -r ${join(root, 'trainer', 'requirements.txt')}`,
    ]);
    expect(result).toMatchObject({ status: 'installed', createdVenv: true, reason: 'no install stamp yet' });
    expect(JSON.parse(readFileSync(join(venv, STAMP_FILE), 'utf8')).requirements).toHaveProperty(
      'requirements.txt',
    );
  });

  it('tells onInstall before it creates the venv and before pip, and not on a re-run that installs nothing', async () => {
    const venv = join(root, 'trainer', '.venv');
    const told: string[] = [];
    const onInstall = (path: string) => told.push(`onInstall ${path} after ${calls.length} commands`);
    await setupPythonEnv(options({ onInstall }));
    // the venv creation is the first command, pip the second
    expect(told).toEqual([`onInstall ${venv} after 0 commands`, `onInstall ${venv} after 1 commands`]);
    told.length = 0;
    await setupPythonEnv(options({ onInstall }));
    expect(told).toEqual([]);
  });

  it('is a no-op on a re-run with unchanged requirements', async () => {
    await setupPythonEnv(options());
    calls = [];
    const again = await setupPythonEnv(options());
    expect(calls).toEqual([]);
    expect(again.status).toBe('up-to-date');
  });

  it('installs once when two setups start together: the second waits, says so, then finds the stamp current', async () => {
    // The first setup's first command (it holds the lock) runs only once the second one has said it waits.
    let firstRuns = () => {};
    const firstRunning = new Promise<void>((resolve) => {
      firstRuns = resolve;
    });
    let secondWaits = () => {};
    const secondWaiting = new Promise<void>((resolve) => {
      secondWaits = resolve;
    });
    const heldRun: CommandRunner = async (program, args) => {
      firstRuns();
      await secondWaiting;
      return run(program, args);
    };
    const secondLog: string[] = [];
    const firstSetup = setupPythonEnv(options({ run: heldRun }));
    await firstRunning;
    const secondSetup = setupPythonEnv(
      options({
        log: (line) => {
          secondLog.push(line);
          if (line.includes('another toonlora process is installing')) secondWaits();
        },
      }),
    );
    const [first, second] = await Promise.all([firstSetup, secondSetup]);
    expect(first.status).toBe('installed');
    expect(second.status).toBe('up-to-date');
    expect(calls.filter((call) => call.includes('-m venv'))).toHaveLength(1);
    expect(calls.filter((call) => call.includes('pip install'))).toHaveLength(2); // torch, then -r: once each
    expect(secondLog[0]).toContain(
      `setup: another toonlora process is installing the worker venv ${first.venv}`,
    );
    expect(existsSync(`${first.venv}.lock`)).toBe(false);
  });

  it('keeps an existing venv without a stamp: skips torch when it matches, runs pip (a no-op), stamps', async () => {
    const venv = join(root, 'trainer', '.venv');
    const python = venvPythonPath(venv, 'linux');
    mkdirSync(join(python, '..'), { recursive: true });
    writeFileSync(python, '');
    writeFileSync(join(venv, 'precious.txt'), 'keep me');
    torchInstalled = '2.13.0+cpu\n';
    const result = await setupPythonEnv(options({ dev: true }));
    expect(calls).toEqual([`${python} -m pip install -r ${join(root, 'trainer', 'requirements-dev.txt')}`]);
    expect(result).toMatchObject({ status: 'installed', createdVenv: false, torch: { installedNow: false } });
    expect(readFileSync(join(venv, 'precious.txt'), 'utf8')).toBe('keep me');
    expect(existsSync(join(venv, STAMP_FILE))).toBe(true);
  });

  it('creates a venv without pip again (a Ctrl-C inside ensurepip), saying so, then installs', async () => {
    const venv = join(root, 'trainer', '.venv');
    const python = venvPythonPath(venv, 'linux');
    mkdirSync(join(python, '..'), { recursive: true });
    writeFileSync(python, '');
    pipPresent = false;
    const logged: string[] = [];
    const result = await setupPythonEnv(options({ log: (line) => logged.push(line) }));
    expect(calls).toEqual([
      `python3 -m venv --clear ${venv}`,
      `${python} -m pip install torch==2.13.0`,
      `${python} -m pip install -r ${join(root, 'trainer', 'requirements.txt')}`,
    ]);
    expect(logged).toContain(
      `setup: ${venv} has no pip (its creation was interrupted, e.g. by Ctrl-C); creating it again`,
    );
    expect(result).toMatchObject({ status: 'installed', createdVenv: true });
    pipPresent = false; // --force on such a venv recreates it too
    calls = [];
    await setupPythonEnv(options({ force: true }));
    expect(calls[0]).toBe(`python3 -m venv --clear ${venv}`);
  });

  it('logs the torch step without a double space when there are no extra pip args', async () => {
    const logged: string[] = [];
    await setupPythonEnv(options({ log: (line) => logged.push(line) }));
    expect(logged).toContainEqual(expect.stringMatching(/^setup: pip install torch==2\.13\.0 — /));
  });

  it('re-installs only when a requirements file changes; --dev after a runtime install adds dev', async () => {
    await setupPythonEnv(options());
    calls = [];
    await setupPythonEnv(options({ dev: true }));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain('requirements-dev.txt');
    calls = [];
    await setupPythonEnv(options());
    expect(calls).toEqual([]);
    writeFileSync(join(root, 'trainer', 'requirements.txt'), 'torch==2.13.0\ndiffusers==0.43.0\n');
    const result = await setupPythonEnv(options());
    expect(result.reason).toBe('requirements.txt changed');
    expect(calls).toHaveLength(1);
  });

  it('uses --venv / TOONLORA_VENV and the torch index override', async () => {
    const venv = join(root, 'elsewhere');
    await setupPythonEnv(
      options({
        env: { TOONLORA_VENV: venv, TOONLORA_TORCH_INDEX_URL: 'https://download.pytorch.org/whl/cpu' },
      }),
    );
    expect(calls[0]).toBe(`python3 -m venv ${venv}`);
    expect(calls[1]).toBe(
      `${join(venv, 'bin', 'python')} -m pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu`,
    );
  });

  it('names a missing or too old system Python and the fix', async () => {
    systemPython = undefined;
    await expect(setupPythonEnv(options())).rejects.toThrow(
      'python: "python3" was not found. Install Python >= 3.10 (with venv) or set TOONLORA_PYTHON.',
    );
    systemPython = 'Python 3.8.10';
    await expect(setupPythonEnv(options())).rejects.toThrow(
      /python3 is 3\.8\.10; the pinned torch needs >= 3\.10/,
    );
  });

  it('reports a failing pip step with its command, and writes no stamp', async () => {
    const failing: CommandRunner = async (program, args) => (args.includes('-r') ? 1 : run(program, args));
    const error = (await setupPythonEnv(options({ run: failing })).catch((e: unknown) => e)) as ToonloraError;
    expect(error.code).toBe('TL_ERR_PYTHON_ENV');
    expect(error.message).toMatch(/^pip install -r .*requirements\.txt failed \(exit 1\)/);
    expect(existsSync(join(root, 'trainer', '.venv', STAMP_FILE))).toBe(false);
  });
});

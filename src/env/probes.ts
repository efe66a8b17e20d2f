// src/env/probes.ts — the facts `toonlora doctor` gathers from this machine: Node, the system Python,
// the worker venv and its stamp, torch and its device (through the venv's python, with a time limit),
// the C / C++ compilers torch.compile builds its kernels with (free disk space: src/host/disk-probes.ts). Each
// probe reports what it found and never throws.
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { type CommandCapture, captureStdout, parsePythonVersion, venvPythonPath } from './python-env.js';

export const torchProbeSchema = z.object({
  status: z.enum(['ok', 'missing', 'error']),
  version: z.string().optional(),
  /** Where training and generation run: CUDA GPU, Apple MPS, or the CPU. */
  device: z.enum(['cuda', 'mps', 'cpu']).optional(),
  cudaVersion: z.string().nullable().optional(),
  gpus: z.array(z.object({ name: z.string(), memoryBytes: z.number().int() })).default([]),
  error: z.string().optional(),
});
export type TorchProbe = z.infer<typeof torchProbeSchema>;

// Printed as one JSON line by the venv's python; importing torch can take seconds, hence the limit.
const TORCH_PROBE_PY = `
import json
r = {}
try:
    import torch
    r["version"] = torch.__version__
    r["cudaVersion"] = torch.version.cuda
    r["gpus"] = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            r["gpus"].append({"name": p.name, "memoryBytes": int(p.total_memory)})
        r["device"] = "cuda"
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        r["device"] = "mps"
    else:
        r["device"] = "cpu"
    r["status"] = "ok"
except ImportError as e:
    r = {"status": "missing", "error": repr(e)}
except Exception as e:
    r = {"status": "error", "error": repr(e)}
print(json.dumps(r))
`;

/** torch version and device as the venv's python sees them; `missing` when there is no python. */
export function probeTorch(
  python: string,
  timeoutMs = 90_000,
  capture: CommandCapture = captureStdout,
): TorchProbe {
  if (!existsSync(python)) return { status: 'missing', gpus: [], error: `${python} does not exist` };
  const output = capture(python, ['-c', TORCH_PROBE_PY], timeoutMs);
  if (output === undefined) {
    return {
      status: 'error',
      gpus: [],
      error: `${python} failed or took over ${timeoutMs / 1000} s to import torch`,
    };
  }
  const parsed = torchProbeSchema.safeParse(JSON.parse(output.trim().split('\n').at(-1) ?? '{}'));
  return parsed.success ? parsed.data : { status: 'error', gpus: [], error: 'unreadable torch probe output' };
}

export interface PythonProbe {
  systemCommand: string;
  systemVersion?: string;
  venv: string;
  venvExists: boolean;
  /** The venv folder is there but its Python is not (a broken link, a removed interpreter). */
  venvBroken: boolean;
  venvPython: string;
  venvVersion?: string;
}

/** The system interpreter and the venv (exists, its Python version). */
export function probePython(
  systemCommand: string,
  venv: string,
  platform: string = process.platform,
  capture: CommandCapture = captureStdout,
): PythonProbe {
  const venvPython = venvPythonPath(venv, platform);
  const venvExists = existsSync(venvPython);
  return {
    systemCommand,
    systemVersion: parsePythonVersion(capture(systemCommand, ['--version'], 20_000)),
    venv,
    venvExists,
    venvBroken: !venvExists && existsSync(venv),
    venvPython,
    venvVersion: venvExists ? parsePythonVersion(capture(venvPython, ['--version'], 20_000)) : undefined,
  };
}

export const compilerProbeSchema = z.object({
  /** The C compiler Triton builds its GPU launchers with ($CC, else cc / gcc / clang on PATH). */
  c: z.string().optional(),
  /** The C++ compiler inductor builds CPU kernels with ($CXX, else c++ / g++ / clang++ on PATH). */
  cxx: z.string().optional(),
});
export type CompilerProbe = z.infer<typeof compilerProbeSchema>;

/** The executable `name` resolves to on `path` (an absolute path is taken as it is), or undefined. */
export function findExecutable(name: string, path: string | undefined): string | undefined {
  const candidates = isAbsolute(name)
    ? [name]
    : (path ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, name));
  return candidates.find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/**
 * The compilers torch.compile would use, looked up as the worker's compiled_step.check_compiler does
 * ($CC / $CXX when set, else the usual names on PATH).
 */
export function probeCompilers(env: Readonly<Record<string, string | undefined>>): CompilerProbe {
  const first = (override: string | undefined, names: readonly string[]) =>
    (override ? [override] : names).map((n) => findExecutable(n, env.PATH)).find(Boolean);
  const c = first(env.CC, ['cc', 'gcc', 'clang']);
  const cxx = first(env.CXX, ['c++', 'g++', 'clang++']);
  return { ...(c ? { c } : {}), ...(cxx ? { cxx } : {}) };
}

// src/env/doctor.ts — `toonlora doctor`'s report: the zod schema of its JSON, the pure rules that turn
// probe facts into problems ("what is missing, what it blocks, how to fix it"), and the gathering run.
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { type DiskProbe, diskProbeSchema, probeDisk, probeWritable } from '../host/disk-probes.js';
import { PROJECT_ROOT, toonloraHome } from '../models/cache.js';
import { hfHubCacheFor } from '../models/cache-paths.js';
import { corruptCopySchema, findAllCorruptCopies } from '../models/corrupt-copies.js';
import { formatBytes } from '../format-bytes.js';
import { describeModels, modelStatusSchema } from '../models/model-status.js';
import { compilerProbeSchema, probeCompilers, probePython, probeTorch, torchProbeSchema } from './probes.js';
import {
  type CommandCapture,
  captureStdout,
  detectNvidiaGpu,
  readStamp,
  resolveVenvPath,
  systemPythonCommand,
} from './python-env.js';
import { chooseTorchInstall, readTorchPin, staleReason, TORCH_INDEX_ENV } from './torch-choice.js';

/** Below this much free space at toonlora's home, doctor warns (base model 4.3 GB + runs + caches). */
export const LOW_DISK_BYTES = 10_000_000_000;
export const MIN_NODE_MAJOR = 20;

export const problemSchema = z.object({
  /** What is missing or weak: `node`, `python`, `venv`, `torch`, `gpu`, `disk`, or a model id. */
  piece: z.string(),
  severity: z.enum(['missing', 'warn']),
  detail: z.string(),
  /** What does not work (or falls back) because of it. */
  blocks: z.string(),
  fix: z.string().optional(),
});
export type Problem = z.infer<typeof problemSchema>;

export const doctorReportSchema = z.object({
  node: z.object({ version: z.string(), ok: z.boolean() }),
  python: z.object({
    systemCommand: z.string(),
    systemVersion: z.string().optional(),
    venv: z.string(),
    venvExists: z.boolean(),
    /** The venv folder is there but its Python is not; absent in reports from before it was probed. */
    venvBroken: z.boolean().optional(),
    venvVersion: z.string().optional(),
    /** `current`: installed requirements match trainer/requirements.txt (toonlora setup stamp). */
    stamp: z.enum(['current', 'stale', 'none']),
    staleReason: z.string().optional(),
  }),
  torch: torchProbeSchema,
  /** Compilers found for `--compile` (torch.compile); absent in reports from before it was probed. */
  compilers: compilerProbeSchema.optional(),
  disk: diskProbeSchema,
  /**
   * Free space where the Hugging Face cache is, when that is another file system than toonlora's home
   * (`HF_HOME` on a bigger or smaller disk): Hugging Face models and their `.part` files go there.
   */
  hfDisk: diskProbeSchema.optional(),
  paths: z.object({
    toonloraHome: z.string(),
    hfHubCache: z.string(),
    /** Why toonlora's home cannot be written, when it cannot. */
    toonloraHomeNotWritable: z.string().optional(),
    /** Why the Hugging Face cache cannot be written, when it cannot. */
    hfHubCacheNotWritable: z.string().optional(),
  }),
  models: z.array(modelStatusSchema),
  /** Bad files `models pull` moved aside (`<name>.corrupt`) and that are still on disk; absent in older reports. */
  corruptCopies: z.array(corruptCopySchema).optional(),
  problems: z.array(problemSchema),
  /** No essential piece (Node, Python, the worker venv, torch) missing or broken; `doctor` exits 1 when false. */
  ok: z.boolean(),
});
export type DoctorReport = z.infer<typeof doctorReportSchema>;
export type DoctorFacts = Omit<DoctorReport, 'problems' | 'ok'>;

const WORKER_BLOCKS = 'train, generate, prep --captioner blip and the Python tests';

/** What the report is about beyond its facts. */
export interface AssessOptions {
  /** The venv was named by `doctor --venv`: the fixes name it too (a bare `setup` sets up another venv). */
  venvFlag?: boolean;
}

/** A path as one shell word: unchanged when plain, else in single quotes. */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

function pythonProblems(facts: DoctorFacts, options: AssessOptions): Problem[] {
  const { python, torch } = facts;
  const setup = options.venvFlag ? `toonlora setup --venv ${shellWord(python.venv)}` : 'toonlora setup';
  if (!python.venvExists && python.venvBroken) {
    // `setup` would refuse it too (it never deletes a folder): say so here, with the fix that works
    return [
      {
        piece: 'venv',
        severity: 'missing',
        detail: `the worker environment at ${python.venv} is broken: its Python is missing (a broken link, or the interpreter it was made from was removed)`,
        blocks: WORKER_BLOCKS,
        fix: `move ${python.venv} aside, then: ${setup}`,
      },
    ];
  }
  if (!python.venvExists) {
    return [
      python.systemVersion
        ? {
            piece: 'venv',
            severity: 'missing',
            detail: `no worker environment at ${python.venv}`,
            blocks: WORKER_BLOCKS,
            fix: setup,
          }
        : {
            piece: 'python',
            severity: 'missing',
            detail: `"${python.systemCommand}" not found and no worker environment at ${python.venv}`,
            blocks: WORKER_BLOCKS,
            fix: `install Python >= 3.10 (with venv), then: ${setup}`,
          },
    ];
  }
  const problems: Problem[] = [];
  if (torch.status !== 'ok') {
    problems.push({
      piece: 'torch',
      severity: 'missing',
      detail: `torch does not import in ${python.venv}: ${torch.error ?? torch.status}`,
      blocks: WORKER_BLOCKS,
      fix: `${setup} --force`,
    });
  } else if (python.stamp !== 'current') {
    problems.push({
      piece: 'venv',
      severity: 'warn',
      detail: `packages may not match trainer/requirements.txt (${python.staleReason ?? 'no setup stamp'})`,
      blocks: 'nothing yet; the worker may run with other versions than the pinned ones',
      fix: setup,
    });
  }
  if (torch.status === 'ok' && torch.device === 'cpu') {
    problems.push({
      piece: 'gpu',
      severity: 'warn',
      detail: 'torch sees no CUDA or MPS device',
      blocks:
        'training and generation run on the CPU, too slow for a real SD1.5 base (hours per run); --base tiny (random ' +
        "weights) is for a quick check that training runs: the demo trains it at 64 px (toonlora demo), train --base tiny keeps the config's 512 px",
      fix: 'run on a machine with an NVIDIA GPU, where toonlora setup installs the CUDA build',
    });
  }
  return problems;
}

/** `--compile` needs the compiler of the device's kernels: C for Triton on a GPU, C++ for inductor on the CPU. */
function compilerProblems(facts: DoctorFacts): Problem[] {
  const { torch, compilers } = facts;
  if (!compilers || torch.status !== 'ok') return [];
  const gpu = torch.device === 'cuda';
  if (gpu ? compilers.c : compilers.cxx) return [];
  const kind = gpu ? 'C' : 'C++';
  return [
    {
      piece: 'compiler',
      severity: 'warn',
      detail: `no ${kind} compiler (${gpu ? '$CC, cc, gcc or clang' : '$CXX, c++, g++ or clang++'}) on PATH for torch.compile on the ${gpu ? 'GPU' : 'CPU'}`,
      blocks: 'train --compile (training.compile); training without it is not affected',
      fix: 'install one (Debian / Ubuntu: apt install build-essential), or set CC / CXX to it',
    },
  ];
}

function pathProblems(facts: DoctorFacts): Problem[] {
  const { paths } = facts;
  const problems: Problem[] = [];
  if (paths.toonloraHomeNotWritable) {
    problems.push({
      piece: 'home',
      severity: 'missing',
      detail: `toonlora's home ${paths.toonloraHome} cannot be written (${paths.toonloraHomeNotWritable})`,
      blocks: 'models pull of release files, partial downloads and the job store',
      fix: "set TOONLORA_HOME to a writable folder, or fix the folder's permissions",
    });
  }
  if (paths.hfHubCacheNotWritable) {
    problems.push({
      piece: 'hf-cache',
      severity: 'missing',
      detail: `the Hugging Face cache ${paths.hfHubCache} cannot be written (${paths.hfHubCacheNotWritable})`,
      blocks: 'models pull of Hugging Face models (taggers, detectors, BLIP, the base model)',
      fix: "set HF_HOME (or HF_HUB_CACHE) to a writable folder, or fix the folder's permissions",
    });
  }
  return problems;
}

/** Moved-aside bad files take disk space and nothing else: one warning with their total size. */
function corruptCopyProblems(facts: DoctorFacts): Problem[] {
  const copies = facts.corruptCopies ?? [];
  if (copies.length === 0) return [];
  const bytes = copies.reduce((sum, c) => sum + c.bytes, 0);
  return [
    {
      piece: 'corrupt-copies',
      severity: 'warn',
      detail: `${copies.length} corrupted model file${copies.length === 1 ? '' : 's'} moved aside by models pull (${formatBytes(bytes)}, listed above)`,
      blocks: 'nothing; they only take disk space',
      fix: `delete them, or run toonlora models pull ${[...new Set(copies.map((c) => c.model))].join(' ')} (a verified download deletes its file's copies)`,
    },
  ];
}

/** The problems in a set of facts, most blocking first: what is missing, what it blocks, the fix. */
export function assessProblems(facts: DoctorFacts, options: AssessOptions = {}): Problem[] {
  const problems: Problem[] = [];
  if (!facts.node.ok) {
    problems.push({
      piece: 'node',
      severity: 'missing',
      detail: `Node ${facts.node.version}; toonlora needs >= ${MIN_NODE_MAJOR}`,
      blocks: 'every command',
      fix: `install Node ${MIN_NODE_MAJOR} or newer`,
    });
  }
  problems.push(...pythonProblems(facts, options), ...compilerProblems(facts));
  if (facts.disk.freeBytes !== undefined && facts.disk.freeBytes < LOW_DISK_BYTES) {
    problems.push({
      piece: 'disk',
      severity: 'warn',
      detail: `${formatBytes(facts.disk.freeBytes)} free at ${facts.disk.path}`,
      blocks: 'pulling the base model (4.3 GB) and keeping training runs',
      fix: 'free space or set TOONLORA_HOME / HF_HOME to a larger disk',
    });
  }
  if (facts.hfDisk?.freeBytes !== undefined && facts.hfDisk.freeBytes < LOW_DISK_BYTES) {
    problems.push({
      piece: 'disk',
      severity: 'warn',
      detail: `${formatBytes(facts.hfDisk.freeBytes)} free at ${facts.hfDisk.path} (the Hugging Face cache)`,
      blocks: 'pulling the base model (4.3 GB) and the other Hugging Face models',
      fix: 'free space or set HF_HOME (or HF_HUB_CACHE) to a larger disk',
    });
  }
  problems.push(...pathProblems(facts), ...corruptCopyProblems(facts));
  for (const model of facts.models) {
    if (model.present) continue;
    if (model.broken) {
      problems.push({
        piece: model.id,
        severity: 'missing',
        detail: `${model.id} is broken (${model.broken})`,
        blocks: model.whenMissing,
        fix: `toonlora models pull ${model.id} (moves the bad file aside as .corrupt and downloads it again)`,
      });
      continue;
    }
    problems.push({
      piece: model.id,
      severity: 'missing',
      detail: `${model.id} not downloaded (${formatBytes(model.sizeBytes)})`,
      blocks: model.whenMissing,
      fix: `toonlora models pull ${model.id}`,
    });
  }
  return problems;
}

/** The pieces the main job (prep, train, generate: `toonlora demo`) cannot run without; models are optional. */
const ESSENTIAL_PIECES: ReadonlySet<string> = new Set(['node', 'python', 'venv', 'torch']);

/** The essential pieces missing or broken, in report order, each once (`doctor` exits 1 when any is). */
export function missingEssentials(problems: readonly Problem[]): string[] {
  const pieces = problems
    .filter((p) => p.severity === 'missing' && ESSENTIAL_PIECES.has(p.piece))
    .map((p) => p.piece);
  return [...new Set(pieces)];
}

/** Whether the essentials are there (Node, the worker env with torch); missing models are optional. */
export function isHealthy(problems: readonly Problem[]): boolean {
  return missingEssentials(problems).length === 0;
}

export interface DoctorOptions {
  venv?: string;
  env?: Readonly<Record<string, string | undefined>>;
  capture?: CommandCapture;
  torchTimeoutMs?: number;
}

function stampState(
  venv: string,
  env: DoctorOptions['env'],
  version: string | undefined,
  capture: CommandCapture,
) {
  const stamp = readStamp(venv);
  if (!stamp) return { stamp: 'none' as const };
  try {
    const content = readFileSync(join(PROJECT_ROOT, 'trainer', 'requirements.txt'), 'utf8');
    const torch = chooseTorchInstall(readTorchPin(content), {
      platform: process.platform,
      hasNvidiaGpu: detectNvidiaGpu(capture),
      torchIndexUrl: env?.[TORCH_INDEX_ENV],
    });
    const reason = staleReason(stamp, [{ name: 'requirements.txt', content }], torch, version ?? '');
    return reason === undefined
      ? { stamp: 'current' as const }
      : { stamp: 'stale' as const, staleReason: reason };
  } catch (error) {
    return { stamp: 'stale' as const, staleReason: String(error) };
  }
}

async function probePaths(toonloraHome: string, hfHubCache: string): Promise<DoctorFacts['paths']> {
  const homeProblem = await probeWritable(toonloraHome);
  const hfProblem = await probeWritable(hfHubCache);
  return {
    toonloraHome,
    hfHubCache,
    ...(homeProblem ? { toonloraHomeNotWritable: homeProblem } : {}),
    ...(hfProblem ? { hfHubCacheNotWritable: hfProblem } : {}),
  };
}

function deviceOf(path: string): number | undefined {
  try {
    return statSync(path).dev;
  } catch {
    return undefined;
  }
}

/** The HF cache's disk, when it is not the one toonlora's home is on (else doctor's one disk line says it all). */
async function hfDiskFacts(homeDisk: DiskProbe, hfHubCache: string): Promise<Pick<DoctorFacts, 'hfDisk'>> {
  const hfDisk = await probeDisk(hfHubCache);
  const sameDevice =
    deviceOf(homeDisk.path) !== undefined && deviceOf(homeDisk.path) === deviceOf(hfDisk.path);
  return sameDevice ? {} : { hfDisk };
}

/** Gathers every fact and assesses it. Never throws for a missing piece: it is reported. */
export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const capture = options.capture ?? captureStdout;
  const venv = resolveVenvPath(options.venv, env, PROJECT_ROOT);
  const python = probePython(systemPythonCommand(env, process.platform), venv, process.platform, capture);
  const home = toonloraHome(env);
  const disk = await probeDisk(home);
  const facts: DoctorFacts = {
    node: {
      version: process.versions.node,
      ok: Number(process.versions.node.split('.')[0]) >= MIN_NODE_MAJOR,
    },
    python: {
      systemCommand: python.systemCommand,
      systemVersion: python.systemVersion,
      venv,
      venvExists: python.venvExists,
      venvBroken: python.venvBroken,
      venvVersion: python.venvVersion,
      ...(python.venvExists
        ? stampState(venv, env, python.venvVersion, capture)
        : { stamp: 'none' as const }),
    },
    torch: probeTorch(python.venvPython, options.torchTimeoutMs, capture),
    compilers: probeCompilers(env),
    disk,
    ...(await hfDiskFacts(disk, hfHubCacheFor(env, homedir()))),
    paths: await probePaths(home, hfHubCacheFor(env, homedir())),
    models: describeModels({ env }),
    corruptCopies: findAllCorruptCopies({ env }),
  };
  const problems = assessProblems(facts, { venvFlag: options.venv !== undefined });
  return doctorReportSchema.parse({ ...facts, problems, ok: isHealthy(problems) });
}

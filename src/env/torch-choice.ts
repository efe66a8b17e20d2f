// src/env/torch-choice.ts — which torch build `toonlora setup` installs on which machine, and the
// requirements stamp that makes a re-run a no-op (pure: facts about the machine in, decisions out).
import { createHash } from 'node:crypto';
import { ToonloraError } from '../errors.js';

/** Environment variable that points pip at another torch index (e.g. PyTorch's CPU-only wheels). */
export const TORCH_INDEX_ENV = 'TOONLORA_TORCH_INDEX_URL';
export const PYTORCH_CPU_INDEX = 'https://download.pytorch.org/whl/cpu';

export interface MachineFacts {
  /** `process.platform`. */
  platform: string;
  /** `nvidia-smi -L` listed at least one GPU. */
  hasNvidiaGpu: boolean;
  /** Value of TOONLORA_TORCH_INDEX_URL, if set. */
  torchIndexUrl?: string;
}

export interface TorchInstall {
  /** pip requirement, e.g. `torch==2.13.0`. */
  spec: string;
  /** Extra pip arguments (`--index-url ...`). */
  pipArgs: string[];
  /** One line saying why this build. */
  reason: string;
  /** Advice printed with the plan, if any. */
  note?: string;
}

/**
 * The exact torch pin from requirements.txt (`torch==X`), so the version is written in one place.
 * @throws ToonloraError TL_ERR_PYTHON_ENV when the file has no `torch==` line.
 */
export function readTorchPin(requirementsText: string, file = 'trainer/requirements.txt'): string {
  for (const raw of requirementsText.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const match = line.match(/^torch\s*==\s*([\w.+-]+)$/);
    if (match) return match[1] as string;
  }
  throw new ToonloraError(
    'TL_ERR_PYTHON_ENV',
    `${file}: expected a pinned "torch==<version>" line, found none.`,
    {
      details: { file },
    },
  );
}

/**
 * How to install torch `version` here: an explicit index wins; otherwise PyPI's default build (CUDA on
 * Linux x86_64 with an NVIDIA GPU, MPS on macOS). pip's own configuration (find-links, extra indexes)
 * still applies, which is how a machine with the CPU wheel on disk gets it offline.
 */
export function chooseTorchInstall(version: string, machine: MachineFacts): TorchInstall {
  const spec = `torch==${version}`;
  const indexUrl = machine.torchIndexUrl?.trim();
  if (indexUrl) {
    return { spec, pipArgs: ['--index-url', indexUrl], reason: `${TORCH_INDEX_ENV}=${indexUrl}` };
  }
  if (machine.hasNvidiaGpu) {
    return { spec, pipArgs: [], reason: "NVIDIA GPU found: PyPI's default (CUDA) build" };
  }
  if (machine.platform === 'darwin') {
    return { spec, pipArgs: [], reason: "macOS: PyPI's build (Apple GPU through MPS)" };
  }
  return {
    spec,
    pipArgs: [],
    reason: "no NVIDIA GPU: PyPI's default build (or a wheel from pip's configured find-links)",
    note: `for the smaller CPU-only build set ${TORCH_INDEX_ENV}=${PYTORCH_CPU_INDEX}`,
  };
}

/** Whether an installed torch version satisfies the pin (`2.13.0+cpu` satisfies `2.13.0`, PEP 440). */
export function torchVersionMatches(installed: string | undefined, pinned: string): boolean {
  if (!installed) return false;
  return installed.split('+')[0] === pinned.split('+')[0];
}

export interface RequirementFile {
  /** Name as recorded in the stamp, e.g. `requirements.txt`. */
  name: string;
  content: string;
}

export interface EnvStamp {
  version: 1;
  /** sha256 of each requirements file installed. */
  requirements: Record<string, string>;
  torch: { spec: string; pipArgs: string[] };
  python: string;
  writtenAt: string;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The stamp written after a successful install of `files` with `torch` on `python`. */
export function buildStamp(
  files: readonly RequirementFile[],
  torch: TorchInstall,
  python: string,
  now: Date,
): EnvStamp {
  return {
    version: 1,
    requirements: Object.fromEntries(files.map((f) => [f.name, sha256Hex(f.content)])),
    torch: { spec: torch.spec, pipArgs: torch.pipArgs },
    python,
    writtenAt: now.toISOString(),
  };
}

/**
 * Why the environment needs an install, or undefined when `stamp` covers `files` (same hashes; a dev
 * stamp covers a runtime-only request), the same torch choice and the same Python.
 */
export function staleReason(
  stamp: EnvStamp | undefined,
  files: readonly RequirementFile[],
  torch: TorchInstall,
  python: string,
): string | undefined {
  if (stamp?.version !== 1) return 'no install stamp yet';
  if (stamp.python !== python) return `Python changed (${stamp.python} -> ${python})`;
  if (stamp.torch.spec !== torch.spec || stamp.torch.pipArgs.join(' ') !== torch.pipArgs.join(' ')) {
    return `torch choice changed (${stamp.torch.spec} ${stamp.torch.pipArgs.join(' ')} -> ${torch.spec} ${torch.pipArgs.join(' ')})`.replace(
      /\s+\)/g,
      ')',
    );
  }
  for (const file of files) {
    const recorded = stamp.requirements[file.name];
    if (recorded === undefined) return `${file.name} not installed yet`;
    if (recorded !== sha256Hex(file.content)) return `${file.name} changed`;
  }
  return undefined;
}

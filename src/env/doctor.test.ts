// Tests of doctor's rules (what is missing, what it blocks) and of a full run on a machine without
// Python, which must still give a valid report.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeModels } from '../models/model-status.js';
import { findExecutable, probeCompilers, probePython } from './probes.js';
import {
  assessProblems,
  type DoctorFacts,
  doctorReportSchema,
  isHealthy,
  LOW_DISK_BYTES,
  runDoctor,
} from './doctor.js';

function facts(overrides: Partial<DoctorFacts> = {}): DoctorFacts {
  return {
    node: { version: '20.20.2', ok: true },
    python: {
      systemCommand: 'python3',
      systemVersion: '3.11.7',
      venv: '/r/trainer/.venv',
      venvExists: true,
      venvVersion: '3.11.7',
      stamp: 'current',
    },
    torch: { status: 'ok', version: '2.13.0+cu128', device: 'cuda', cudaVersion: '12.8', gpus: [] },
    disk: { path: '/home', freeBytes: 100e9, totalBytes: 500e9 },
    paths: { toonloraHome: '/t', hfHubCache: '/h' },
    models: [],
    ...overrides,
  };
}

describe('assessProblems', () => {
  it('finds nothing on a complete GPU machine', () => {
    expect(assessProblems(facts())).toEqual([]);
  });

  it('says a missing venv blocks the worker commands and gives the fix', () => {
    const problems = assessProblems(facts({ python: { ...facts().python, venvExists: false } }));
    expect(problems).toEqual([
      {
        piece: 'venv',
        severity: 'missing',
        detail: 'no worker environment at /r/trainer/.venv',
        blocks: 'train, generate, prep --captioner blip and the Python tests',
        fix: 'toonlora setup',
      },
    ]);
    expect(isHealthy(problems)).toBe(false);
  });

  it('says a venv folder without its Python is broken, and to move it aside (setup will not replace it)', () => {
    const python = { ...facts().python, venvExists: false, venvBroken: true };
    expect(assessProblems(facts({ python }))).toEqual([
      expect.objectContaining({
        piece: 'venv',
        detail: expect.stringMatching(
          /^the worker environment at \/r\/trainer\/\.venv is broken: its Python is missing/,
        ),
        fix: 'move /r/trainer/.venv aside, then: toonlora setup',
      }),
    ]);
  });

  it('names the venv `doctor --venv` checked in every setup fix (a bare setup sets up trainer/.venv)', () => {
    const missing = { ...facts().python, venv: '/some/venv', venvExists: false };
    expect(assessProblems(facts({ python: missing }), { venvFlag: true })[0]?.fix).toBe(
      'toonlora setup --venv /some/venv',
    );
    const spaced = { ...missing, venv: "/my venvs/it's" };
    expect(assessProblems(facts({ python: spaced }), { venvFlag: true })[0]?.fix).toBe(
      "toonlora setup --venv '/my venvs/it'\\''s'",
    );
    const noPython = { ...missing, systemVersion: undefined };
    expect(assessProblems(facts({ python: noPython }), { venvFlag: true })[0]?.fix).toBe(
      'install Python >= 3.10 (with venv), then: toonlora setup --venv /some/venv',
    );
    const broken = { ...missing, venvBroken: true };
    expect(assessProblems(facts({ python: broken }), { venvFlag: true })[0]?.fix).toBe(
      'move /some/venv aside, then: toonlora setup --venv /some/venv',
    );
    const noTorch = assessProblems(
      facts({
        python: { ...facts().python, venv: '/some/venv' },
        torch: { status: 'missing', error: 'No module named torch', gpus: [] },
      }),
      { venvFlag: true },
    );
    expect(noTorch[0]?.fix).toBe('toonlora setup --venv /some/venv --force');
    const stale = { ...facts().python, venv: '/some/venv', stamp: 'stale' as const };
    expect(assessProblems(facts({ python: stale }), { venvFlag: true })[0]?.fix).toBe(
      'toonlora setup --venv /some/venv',
    );
    // the default venv (or TOONLORA_VENV, which setup reads too): no flag needed
    expect(assessProblems(facts({ python: missing }))[0]?.fix).toBe('toonlora setup');
  });

  it('asks for Python first when there is none', () => {
    const python = { ...facts().python, venvExists: false, systemVersion: undefined };
    expect(assessProblems(facts({ python }))[0]?.piece).toBe('python');
  });

  it('warns about CPU-only torch, a stale stamp and low disk without failing the essentials', () => {
    const problems = assessProblems(
      facts({
        torch: { status: 'ok', version: '2.13.0+cpu', device: 'cpu', cudaVersion: null, gpus: [] },
        python: { ...facts().python, stamp: 'stale', staleReason: 'requirements.txt changed' },
        disk: { path: '/home', freeBytes: LOW_DISK_BYTES - 1 },
      }),
    );
    expect(problems.map((p) => [p.piece, p.severity])).toEqual([
      ['venv', 'warn'],
      ['gpu', 'warn'],
      ['disk', 'warn'],
    ]);
    expect(problems[0]?.detail).toContain('requirements.txt changed');
    expect(isHealthy(problems)).toBe(true);
  });

  it('words the CPU-only line as one sentence, with what --base tiny is for', () => {
    // before: "torch sees no CUDA or MPS device: training and generation run on the CPU: practical training on a real SD1.5 base"
    const torch = {
      status: 'ok' as const,
      version: '2.13.0+cpu',
      device: 'cpu' as const,
      cudaVersion: null,
      gpus: [],
    };
    const gpu = assessProblems(facts({ torch })).find((p) => p.piece === 'gpu');
    expect(`${gpu?.detail}: ${gpu?.blocks}`).toBe(
      'torch sees no CUDA or MPS device: training and generation run on the CPU, too slow for a real SD1.5 base ' +
        '(hours per run); --base tiny (random weights) is for a quick check that training runs: the demo trains it ' +
        "at 64 px (toonlora demo), train --base tiny keeps the config's 512 px",
    );
  });

  it('warns about low space where the Hugging Face cache is, when that is another disk', () => {
    const problems = assessProblems(facts({ hfDisk: { path: '/data/hf', freeBytes: 3e6 } }));
    expect(problems).toEqual([
      {
        piece: 'disk',
        severity: 'warn',
        detail: '3.0 MB free at /data/hf (the Hugging Face cache)',
        blocks: 'pulling the base model (4.3 GB) and the other Hugging Face models',
        fix: 'free space or set HF_HOME (or HF_HUB_CACHE) to a larger disk',
      },
    ]);
  });

  it('names each missing model with what it blocks', () => {
    const models = describeModels({ env: { TOONLORA_HOME: '/nonexistent/t', HF_HOME: '/nonexistent/h' } });
    const problems = assessProblems(facts({ models }));
    const isnet = problems.find((p) => p.piece === 'isnet-anime');
    expect(isnet).toMatchObject({
      blocks: 'prep --segmenter auto falls back to classic; --segmenter isnet-anime fails',
      fix: 'toonlora models pull isnet-anime',
    });
    expect(problems.some((p) => p.piece === 'paddleocr-det-v4')).toBe(false);
    expect(isHealthy(problems)).toBe(true);
  });
});

describe('broken models and unwritable folders', () => {
  it('marks a wrong-size model file as broken, naming the path and the fix', () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-doctor-'));
    try {
      const file = join(root, 't', 'models', 'anime-person-detector', 'person_detect_v1.3_s', 'model.onnx');
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, 'garbage!');
      const models = describeModels({ env: { TOONLORA_HOME: join(root, 't'), HF_HOME: join(root, 'h') } });
      const detector = models.find((m) => m.id === 'anime-person-detector');
      expect(detector).toMatchObject({ present: false, path: file });
      expect(detector?.broken).toBe(`${file}: size: expected 44583231 bytes, got 8`);
      const problem = assessProblems(facts({ models })).find((p) => p.piece === 'anime-person-detector');
      expect(problem?.detail).toContain(`anime-person-detector is broken (${file}: size`);
      expect(problem?.fix).toMatch(/^toonlora models pull anime-person-detector/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reports a home and an HF cache that cannot be written, with the setting to change', async () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-doctor-'));
    try {
      writeFileSync(join(root, 'a-file'), '');
      const report = await runDoctor({
        venv: join(root, 'no-venv'),
        env: {
          TOONLORA_HOME: '/dev/null/x',
          HF_HOME: join(root, 'a-file', 'hf'),
          TOONLORA_PYTHON: 'no-such',
        },
        capture: () => undefined,
      });
      expect(report.paths.toonloraHomeNotWritable).toBe('/dev/null is not a folder');
      expect(report.paths.hfHubCacheNotWritable).toBe(`${join(root, 'a-file')} is not a folder`);
      const pieces = report.problems.filter((p) => p.piece === 'home' || p.piece === 'hf-cache');
      expect(pieces.map((p) => p.fix)).toEqual([
        expect.stringContaining('set TOONLORA_HOME to a writable folder'),
        expect.stringContaining('set HF_HOME (or HF_HUB_CACHE) to a writable folder'),
      ]);
      expect(pieces[0]?.detail).toContain("toonlora's home /dev/null/x cannot be written");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('compilers for --compile', () => {
  it('warns, as a GPU machine without a C compiler cannot torch.compile, and not when one is there', () => {
    const gpu = facts({ compilers: { cxx: '/usr/bin/c++' } });
    expect(assessProblems(gpu)).toEqual([
      expect.objectContaining({
        piece: 'compiler',
        severity: 'warn',
        detail: expect.stringContaining(
          'no C compiler ($CC, cc, gcc or clang) on PATH for torch.compile on the GPU',
        ),
        blocks: expect.stringContaining('train --compile'),
      }),
    ]);
    expect(isHealthy(assessProblems(gpu))).toBe(true); // compile is optional
    expect(assessProblems(facts({ compilers: { c: '/usr/bin/cc' } }))).toEqual([]);
    const cpu = facts({
      torch: { status: 'ok', version: '2.13.0+cpu', device: 'cpu', gpus: [] },
      compilers: { c: '/usr/bin/cc' },
    });
    expect(assessProblems(cpu).map((p) => p.detail)).toContainEqual(
      expect.stringContaining(
        'no C++ compiler ($CXX, c++, g++ or clang++) on PATH for torch.compile on the CPU',
      ),
    );
  });

  it('finds the compilers on PATH, and $CC / $CXX instead of the usual names when set', () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-cc-'));
    try {
      for (const name of ['gcc', 'my-cxx', 'not-executable']) {
        writeFileSync(join(root, name), '#!/bin/sh\n', { mode: name === 'not-executable' ? 0o644 : 0o755 });
      }
      expect(probeCompilers({ PATH: root })).toEqual({ c: join(root, 'gcc') });
      expect(probeCompilers({ PATH: root, CXX: 'my-cxx' })).toEqual({
        c: join(root, 'gcc'),
        cxx: join(root, 'my-cxx'),
      });
      expect(probeCompilers({ PATH: root, CC: 'clang' })).toEqual({}); // $CC set but missing: no fallback
      expect(findExecutable('not-executable', root)).toBeUndefined();
      expect(findExecutable(join(root, 'gcc'), undefined)).toBe(join(root, 'gcc'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('runDoctor', () => {
  it('reports a machine without Python or venv instead of crashing', async () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-doctor-'));
    try {
      const report = await runDoctor({
        venv: join(root, 'no-venv'),
        env: {
          TOONLORA_HOME: join(root, 'home'),
          HF_HOME: join(root, 'hf'),
          TOONLORA_PYTHON: 'no-such-python',
        },
        capture: () => undefined,
      });
      expect(doctorReportSchema.parse(report)).toEqual(report);
      expect(report.torch.status).toBe('missing');
      expect(report.python.venvExists).toBe(false);
      expect(report.problems[0]).toMatchObject({ piece: 'python', severity: 'missing' });
      expect(report.ok).toBe(false);
      expect(report.disk.freeBytes).toBeGreaterThan(0);
      expect(report.problems[0]?.fix).toBe(
        `install Python >= 3.10 (with venv), then: toonlora setup --venv ${join(root, 'no-venv')}`,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("measures the Hugging Face cache's disk too when it is another file system than toonlora's home", async () => {
    const shm = '/dev/shm';
    const run = (hf: string) =>
      runDoctor({
        env: { TOONLORA_HOME: join(tmpdir(), 'tl-doc'), HF_HOME: hf, TOONLORA_PYTHON: 'no-such-python' },
        capture: () => undefined,
      });
    const same = await run(join(tmpdir(), 'tl-doc-hf'));
    expect(same.hfDisk).toBeUndefined();
    if (!existsSync(shm) || statSync(shm).dev === statSync(tmpdir()).dev) return; // no second file system here
    const other = await run(join(shm, 'tl-doc-hf'));
    expect(other.hfDisk).toMatchObject({ path: shm, freeBytes: expect.any(Number) });
  });

  it('reports a relative TOONLORA_HOME / HF_HOME as the absolute folders it uses', async () => {
    const report = await runDoctor({
      env: { TOONLORA_HOME: 'relhome2', HF_HOME: 'relhf', TOONLORA_PYTHON: 'no-such-python' },
      capture: () => undefined,
    });
    expect(report.paths).toMatchObject({
      toonloraHome: resolve('relhome2'),
      hfHubCache: resolve('relhf', 'hub'),
    });
    expect(report.disk.path).toBe(process.cwd()); // the nearest existing folder, not "."
  });
});

describe('probeTorch', () => {
  it('reads the probe line as printed on a real H100 machine', async () => {
    const { probeTorch } = await import('./probes.js');
    // Output of the probe script run with torch 2.11.0+cu130 on an NVIDIA H100 80GB HBM3.
    const line =
      '{"version": "2.11.0+cu130", "cudaVersion": "13.0", "gpus": [{"name": "NVIDIA H100 80GB HBM3", "memoryBytes": 85017493504}], "device": "cuda", "status": "ok"}\n';
    const probe = probeTorch(process.execPath, 1000, () => line);
    expect(probe).toEqual({
      status: 'ok',
      version: '2.11.0+cu130',
      device: 'cuda',
      cudaVersion: '13.0',
      gpus: [{ name: 'NVIDIA H100 80GB HBM3', memoryBytes: 85017493504 }],
    });
    expect(probeTorch(process.execPath, 1000, () => undefined).status).toBe('error');
  });
});

describe('probePython', () => {
  it('tells a venv folder whose Python is a broken link from a missing venv', () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-venv-'));
    const noAnswer = () => undefined; // no interpreter runs here
    mkdirSync(join(root, 'broken', 'bin'), { recursive: true });
    symlinkSync(join(root, 'gone', 'python3.11'), join(root, 'broken', 'bin', 'python'));
    expect(probePython('python3', join(root, 'broken'), 'linux', noAnswer)).toMatchObject({
      venvExists: false,
      venvBroken: true,
    });
    expect(probePython('python3', join(root, 'absent'), 'linux', noAnswer)).toMatchObject({
      venvExists: false,
      venvBroken: false,
    });
    rmSync(root, { recursive: true, force: true });
  });
});

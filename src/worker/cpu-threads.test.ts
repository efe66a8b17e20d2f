// src/worker/cpu-threads.test.ts — the CPU thread count `train` reports answers as the worker's choose_cpu_threads
// (trainer/toonlora_trainer/cpu_threads.py) on the shared table trainer/tests/golden/cpu_threads_cases.json; a bad
// TOONLORA_CPU_THREADS is a config error naming it; the dry run's words for each source.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isToonloraError } from '../errors.js';
import { chooseCpuThreads, cpuThreadsOverride, describeCpuThreads } from './cpu-threads.js';

interface SharedCase {
  note: string;
  device: string;
  unet_params: number;
  env: Record<string, string>;
  threads: number | null;
  error: boolean;
}

const SHARED_CASES: SharedCase[] = JSON.parse(
  readFileSync(new URL('../../trainer/tests/golden/cpu_threads_cases.json', import.meta.url), 'utf8'),
);

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe("chooseCpuThreads and the worker's choose_cpu_threads", () => {
  it('the shared table has cases of each kind', () => {
    expect(SHARED_CASES.some((c) => c.error)).toBe(true);
    expect(new Set(SHARED_CASES.map((c) => c.threads)).size).toBeGreaterThan(2);
  });

  it.each(SHARED_CASES)('answer alike: $note', ({ device, unet_params, env, threads, error }) => {
    if (error) {
      const failure = thrown(() => chooseCpuThreads(device, unet_params, env));
      expect(isToonloraError(failure) && failure.code).toBe('TL_ERR_CONFIG');
      expect(isToonloraError(failure) && failure.exitCode).toBe(2);
      expect(String((failure as Error).message)).toContain('TOONLORA_CPU_THREADS');
    } else expect(chooseCpuThreads(device, unet_params, env).threads).toBe(threads);
  });
});

describe('cpuThreadsOverride', () => {
  it('names the variable and the value it got', () => {
    expect(() => cpuThreadsOverride({ TOONLORA_CPU_THREADS: 'two' })).toThrow(
      'TOONLORA_CPU_THREADS: expected a positive whole number of CPU threads, got "two". Unset it to let toonlora choose.',
    );
    expect(cpuThreadsOverride({})).toBeNull();
    expect(cpuThreadsOverride({ TOONLORA_CPU_THREADS: '6' })).toBe(6);
  });
});

describe('describeCpuThreads', () => {
  it('says the count for each source', () => {
    const tiny = chooseCpuThreads('cpu', 792_964, {});
    expect(describeCpuThreads(tiny, {}, 8)).toMatch(/^1 \(a UNet under 100M parameters gains nothing/);
    expect(describeCpuThreads(chooseCpuThreads('cpu', 859_520_964, {}), {}, 8)).toBe(
      "torch's default (8 cores)",
    );
    const env = { TOONLORA_CPU_THREADS: '3' };
    expect(describeCpuThreads(chooseCpuThreads('cpu', 859_520_964, env), env, 8)).toBe(
      '3 (TOONLORA_CPU_THREADS)',
    );
    const omp = { OMP_NUM_THREADS: '4' };
    expect(describeCpuThreads(chooseCpuThreads('cpu', 792_964, omp), omp, 8)).toBe(
      '4 (OMP_NUM_THREADS, read by torch)',
    );
  });
});

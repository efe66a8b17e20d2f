// src/worker/cpu-threads.ts — the CPU thread count torch will use for a run, as the worker chooses it
// (trainer/toonlora_trainer/cpu_threads.py: one thread for a UNet under 100M parameters such as `tiny`, torch's default
// for real bases, TOONLORA_CPU_THREADS / OMP_NUM_THREADS override), so `train` can refuse a bad variable before the
// worker starts and `train --dry-run` can say the count. Both sides answer trainer/tests/golden/cpu_threads_cases.json.
import { ToonloraError } from '../errors.js';

export const CPU_THREADS_ENV = 'TOONLORA_CPU_THREADS';
/** Below this many UNet parameters a run on the CPU uses one thread (cpu_threads.py: SMALL_UNET_PARAMS). */
export const SMALL_UNET_PARAMS = 100_000_000;

export type CpuThreadsSource = 'gpu' | 'env' | 'omp' | 'small-unet' | 'torch-default';

export interface CpuThreadsChoice {
  /** The count the worker sets, or null where torch keeps its own (its default, or OMP_NUM_THREADS it reads). */
  readonly threads: number | null;
  readonly source: CpuThreadsSource;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * TOONLORA_CPU_THREADS as a count, or null when unset or blank.
 * @throws TL_ERR_CONFIG naming the variable when it is not a positive whole number
 */
export function cpuThreadsOverride(env: Env): number | null {
  const value = (env[CPU_THREADS_ENV] ?? '').trim();
  if (!value) return null;
  if (!/^[0-9]+$/.test(value) || Number(value) < 1) {
    throw new ToonloraError(
      'TL_ERR_CONFIG',
      `${CPU_THREADS_ENV}: expected a positive whole number of CPU threads, got ${JSON.stringify(value)}. Unset it to let toonlora choose.`,
      { details: { field: CPU_THREADS_ENV } },
    );
  }
  return Number(value);
}

/** The worker's choice (choose_cpu_threads) for a run on `device` with a UNet of `unetParams` parameters; pure. */
export function chooseCpuThreads(device: string, unetParams: number, env: Env): CpuThreadsChoice {
  if (device !== 'cpu') return { threads: null, source: 'gpu' };
  const override = cpuThreadsOverride(env);
  if (override !== null) return { threads: override, source: 'env' };
  if ((env.OMP_NUM_THREADS ?? '').trim()) return { threads: null, source: 'omp' };
  if (unetParams < SMALL_UNET_PARAMS) return { threads: 1, source: 'small-unet' };
  return { threads: null, source: 'torch-default' };
}

/** The dry run's words for a CPU run's count: `1 (a small UNet …)`, `torch's default (N cores)`, the variable's value. */
export function describeCpuThreads(choice: CpuThreadsChoice, env: Env, cores: number): string {
  switch (choice.source) {
    case 'env':
      return `${choice.threads} (${CPU_THREADS_ENV})`;
    case 'omp':
      return `${(env.OMP_NUM_THREADS ?? '').trim()} (OMP_NUM_THREADS, read by torch)`;
    case 'small-unet':
      return `${choice.threads} (a UNet under ${SMALL_UNET_PARAMS / 1e6}M parameters gains nothing from more; ${CPU_THREADS_ENV} sets another count)`;
    default:
      return `torch's default (${cores} cores)`;
  }
}

// src/worker/generate-silence.test.ts — the warm generation worker's silence watchdog, against a stand-in worker
// that is slow or stuck (test/fixtures/silent-worker.mjs; no Python): a worker that stays alive but sends nothing
// is killed and its load / request fails saying so; one that is slow but reports its steps is left alone; a cold
// worker's first request gets the load allowance until its first step.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generationConfigSchema } from '../schemas/config.js';
import { GenerationWorker } from './generation-worker.js';
import type { WorkerSilenceLimits } from './silence-watchdog.js';

const SILENT = fileURLToPath(new URL('../../test/fixtures/silent-worker.mjs', import.meta.url));

interface Plan {
  readyMs?: number | null;
  firstStepMs?: number | number[];
  stepMs?: number;
  stallAfter?: number | null | (number | null)[];
}

/** The load allowance is generous: a node process starting on a loaded machine can take seconds to say `ready`. */
const LIMITS: WorkerSilenceLimits = { loadS: 8, requestS: 1.5 };

function worker(plan: Plan, silence: WorkerSilenceLimits = LIMITS): GenerationWorker {
  const spawn = { command: process.execPath, args: [SILENT, JSON.stringify(plan)], cwd: process.cwd() };
  return new GenerationWorker('tiny', spawn, { silence });
}

const request = (steps: number) => ({
  outputDir: '/out',
  config: generationConfigSchema.parse({ baseModel: 'tiny', seeds: [1], steps }),
});

describe('GenerationWorker silence watchdog', () => {
  it('refuses, when built, a limit the CLI flags would refuse (not a RangeError at the first job)', () => {
    for (const silence of [
      { loadS: 0, requestS: 1 },
      { loadS: 1, requestS: -1 },
      { loadS: 1, requestS: 2_147_484 }, // over setTimeout's maximum: it would fire after 1 ms
      { loadS: Number.NaN, requestS: 1 },
      { loadS: 1, requestS: 0.001 }, // below a second: the worker would die at its first job
    ]) {
      expect(() => worker({}, silence)).toThrow(
        /^GenerationWorker silence\.(loadS|requestS): .*at most 2147483\)/,
      );
    }
    expect(() => worker({}, { loadS: 2_147_483, requestS: 1 })).not.toThrow();
  });

  it('kills a worker whose base load sends nothing for the load allowance', async () => {
    const stuck = worker({ readyMs: null }, { loadS: 1, requestS: 60 });
    await expect(stuck.start()).rejects.toMatchObject({
      code: 'TL_ERR_WORKER',
      message: expect.stringMatching(
        /^the generation worker sent nothing for 1 s while loading the base model; it was stopped and will be restarted for the next job\. .*--worker-load-timeout/,
      ),
      details: { stalled: true, silentS: 1 },
    });
    expect(stuck.ended).toBe(true);
    await stuck.close();
  }, 30_000);

  it('kills a warm worker that goes silent in a request, after the request allowance, and fails that request', async () => {
    const stuck = worker({ stallAfter: [null, 2] });
    await stuck.start();
    await expect(stuck.generate(request(3))).resolves.toMatchObject({ images: ['/out/seed-1.png'] });
    const steps: number[] = [];
    const started = performance.now();
    await expect(stuck.generate({ ...request(5), onEvent: (e) => steps.push(e.step) })).rejects.toMatchObject(
      {
        code: 'TL_ERR_WORKER',
        message: expect.stringMatching(
          /^the generation worker sent nothing for 1\.5 s; it was stopped and will be restarted for the next job\. .*--worker-timeout/,
        ),
      },
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(1400);
    expect(steps).toEqual([1, 2]);
    expect(stuck.ended).toBe(true);
    await stuck.close(); // returns: the process is gone (SIGKILL to its group)
  }, 30_000);

  it('leaves a slow worker alone while it reports its steps, however long the request takes', async () => {
    // 8 steps 0.5 s apart: 3.5 s in all, more than twice the 1.5 s allowance, never silent for as long
    const slow = worker({ firstStepMs: [0, 500], stepMs: 500 });
    await slow.start();
    await slow.generate(request(1)); // the first request is warm-up: the second one gets the request allowance
    const started = performance.now();
    await expect(slow.generate(request(8))).resolves.toMatchObject({
      images: ['/out/seed-1.png'],
      stopped: false,
    });
    expect(performance.now() - started).toBeGreaterThan(3000);
    expect(slow.ended).toBe(false);
    await slow.close();
  }, 30_000);

  it('closes a silent worker that does not exit after SIGKILL within the stalled-exit wait, not when it exits', async () => {
    // the holder keeps the worker's stdout open: to the driver, a process stuck in the GPU driver, never `close`d
    const dir = mkdtempSync(join(tmpdir(), 'toonlora-stalled-close-'));
    const pidFile = join(dir, 'worker.pid');
    const plan = { readyMs: null, holdStdoutMs: 20_000, pidFile };
    const spawn = { command: process.execPath, args: [SILENT, JSON.stringify(plan)], cwd: process.cwd() };
    const stuck = new GenerationWorker('tiny', spawn, {
      silence: { loadS: 1, requestS: 60 },
      stalledExitWaitMs: 400,
    });
    try {
      await expect(stuck.start()).rejects.toMatchObject({ details: { stalled: true } });
      const started = performance.now();
      await stuck.close();
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(350); // it did wait, for the injected 0.4 s
      expect(took).toBeLessThan(5_000); // not for the holder's 20 s
    } finally {
      try {
        process.kill(Number(readFileSync(`${pidFile}.holder`, 'utf8')), 'SIGKILL');
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it("gives a cold worker's first request the load allowance until its first step, and later ones the request allowance", async () => {
    // 3 s before the first step: more than the 1.5 s request allowance, within the 8 s load one
    const cold = worker({ firstStepMs: 3000 });
    await cold.start();
    await expect(cold.generate(request(2))).resolves.toMatchObject({ stopped: false });
    await expect(cold.generate(request(2))).rejects.toMatchObject({
      code: 'TL_ERR_WORKER',
      details: { stalled: true, silentS: 1.5 },
    });
    await cold.close();
  }, 30_000);
});

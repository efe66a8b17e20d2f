// src/worker/generate-oneshot-silence.test.ts — the one-shot `generate` worker's silence watchdog (runGeneration's
// `silence`), against a stand-in worker that is slow or stuck (test/fixtures/silent-worker.mjs; no Python): one that
// stays alive but sends nothing is killed with its process group and the run fails naming the flag; one that is slow
// but reports its steps and its decoded images is left alone.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { generationConfigSchema } from '../schemas/config.js';
import { runGeneration } from './generate.js';
import type { WorkerSilenceLimits } from './silence-watchdog.js';

const SILENT = fileURLToPath(new URL('../../test/fixtures/silent-worker.mjs', import.meta.url));

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toonlora-oneshot-silence-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function generate(plan: Record<string, unknown>, silence: WorkerSilenceLimits, steps = 3, seeds = [1]) {
  const pidFile = join(dir, 'worker.pid');
  const spawn = {
    command: process.execPath,
    args: [SILENT, JSON.stringify({ ...plan, pidFile })],
    cwd: process.cwd(),
  };
  const stepsSeen: number[] = [];
  const run = runGeneration({
    outputDir: join(dir, 'out'),
    config: generationConfigSchema.parse({ baseModel: 'tiny', seeds, steps }),
    spawn,
    silence,
    onEvent: (event) => {
      if (event.type === 'progress') stepsSeen.push(event.step);
    },
  });
  return { run, stepsSeen, pid: () => Number(readFileSync(pidFile, 'utf8')) };
}

/** Waits up to 5 s for the kernel to reap process `pid`; fails the test with the last check if it does not. */
async function expectGone(pid: number): Promise<void> {
  await vi.waitFor(() => expect(() => process.kill(pid, 0), `process ${pid} still runs`).toThrow(), {
    timeout: 5_000,
    interval: 100,
  });
}

describe('runGeneration silence watchdog', () => {
  it('kills a worker that sends nothing before its first step for the load allowance, naming --worker-load-timeout', async () => {
    const { run, pid } = generate({ firstStepMs: 60_000 }, { loadS: 1, requestS: 60 });
    const started = performance.now();
    await expect(run).rejects.toMatchObject({
      code: 'TL_ERR_WORKER',
      message:
        'the generation worker sent nothing for 1 s while loading the base model or the LoRA; it was stopped and no ' +
        'image was written. If the GPU is just slow (a large image, many seeds, a big base model), raise the ' +
        'allowance: toonlora generate --worker-load-timeout <s>.',
      details: { worker: 'generate', silentS: 1, stalled: true },
    });
    expect(performance.now() - started).toBeLessThan(20_000); // not the fixture's 60 s
    await expectGone(pid());
  }, 30_000);

  it('kills a worker that goes silent after a sampling step for the request allowance, naming --worker-timeout', async () => {
    const { run, stepsSeen, pid } = generate({ stallAfter: 2 }, { loadS: 8, requestS: 1 }, 5);
    await expect(run).rejects.toMatchObject({
      code: 'TL_ERR_WORKER',
      message: expect.stringMatching(
        /^the generation worker sent nothing for 1 s; it was stopped and no image was written\. .*toonlora generate --worker-timeout <s>\.$/,
      ),
      details: { stalled: true, silentS: 1 },
    });
    expect(stepsSeen).toEqual([1, 2]);
    await expectGone(pid());
  }, 30_000);

  it('leaves a worker alone while it reports its steps and each decoded image, however long it takes', async () => {
    // 4 decoded images 0.6 s apart after the last step: 2.4 s in all, more than twice the 1 s allowance
    const { run } = generate({ stepMs: 600, decodeMs: 600 }, { loadS: 8, requestS: 1 }, 3, [1, 2, 3, 4]);
    const started = performance.now();
    await expect(run).resolves.toMatchObject({
      images: expect.arrayContaining([join(dir, 'out', 'seed-4.png')]),
    });
    expect(performance.now() - started).toBeGreaterThan(3000);
  }, 30_000);

  it('refuses a limit setTimeout cannot keep before starting the worker', async () => {
    const { run } = generate({}, { loadS: 0, requestS: 1 });
    await expect(run).rejects.toThrow(/^generate silence\.loadS: .*at most 2147483\), got/);
    expect(() => readFileSync(join(dir, 'worker.pid'))).toThrow(); // never spawned
  });
});

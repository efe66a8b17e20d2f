// test/server-remote-workers-resume.test.ts — a resume on another machine continues from the checkpoint the server
// keeps (in process: the server on loopback, two workers' runClaim with the real trainer on the `tiny` base, CPU).
// Worker A trains, its first sample upload fails once (retried: the sample reaches the Train page), its checkpoints
// are uploaded; then its network is cut: it says so once, not every second, and its lease lapses. Worker B, with
// another work folder, claims the resumed job, downloads the checkpoint and trains on from its step.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storedCheckpoint } from '../src/jobs/remote/checkpoint-store.js';
import { runClaim } from '../src/jobs/remote/remote-run.js';
import { WorkerClient } from '../src/jobs/remote/worker-client.js';
import type { JobEvent } from '../src/schemas/api.js';
import { waitFor } from './helpers/job-stand-ins.js';
import { offerCount } from './helpers/remote-train-jobs.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-resume');

const TINY = {
  baseModel: 'tiny',
  resolution: 64,
  mixedPrecision: 'no',
  lora: { rank: 4 },
  steps: 5000,
  checkpointEverySteps: 2,
  sampleEverySteps: 3,
};
const LONG = 240_000;

/** Until `read()` gives a value `ok` takes, polling every 250 ms. */
async function until<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + LONG;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const bodies = (events: JobEvent[]) => events.map((e) => e.body);

describe('remote workers: a resume on another machine', () => {
  it('continues from the checkpoint the server keeps, past step 1; a failed sample upload is retried', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 2_000, jobs: 8 } });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const seeded = await seedDataset(app);
    const submitted = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: {
        kind: 'train',
        characterId: seeded.characterId,
        params: { datasetId: seeded.datasetId, training: TINY },
      },
    });
    const id = String(submitted.json().id);
    await waitFor(
      () => offerCount(app, id),
      (n) => n === 1,
      30_000,
    );

    // worker A: its first sample upload fails on the network; later its network is cut altogether
    let cut = false;
    let samplesFailed = 0;
    const networkA: typeof fetch = async (input, init) => {
      const target = String(input);
      if (cut || (target.endsWith('/samples') && samplesFailed === 0)) {
        if (!cut) samplesFailed += 1;
        throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      }
      return fetch(input, init);
    };
    const clientA = new WorkerClient(url, undefined, networkA);
    const claimA = await clientA.claim('gpu-a', 0);
    expect(claimA?.job).toMatchObject({ id, resume: false, checkpoint: null });
    if (!claimA) return;
    const linesA: string[] = [];
    const stopA = new AbortController();
    const runA = runClaim({
      client: clientA,
      claim: claimA,
      workDir: mkdtempSync(join(tmpdir(), 'tl-worker-a-')),
      signal: stopA.signal,
      say: (line) => linesA.push(line),
      sampleRetryMs: [50, 100],
    });
    const serverRun = join(app.dataDir, 'jobs', id, claimA.job.loraName);
    await until(
      async () => ({
        kept: (await storedCheckpoint(serverRun))?.step ?? 0,
        samples: app.jobStore.listEvents(id).filter((e) => e.body.type === 'sample').length,
      }),
      ({ kept, samples }) => kept >= 2 && samples >= 1,
      "worker A's checkpoint and sample on the server",
    );
    // the failed sample upload was tried again, not left on the worker
    expect(samplesFailed).toBe(1);
    expect(bodies(app.jobStore.listEvents(id))).not.toContainEqual(
      expect.objectContaining({ message: expect.stringMatching(/were not uploaded/) }),
    );

    cut = true;
    const interrupted = await until(
      () => app.jobStore.getJob(id),
      (job) => job.status === 'interrupted',
      "worker A's lease lapsing",
    );
    expect(interrupted.error?.message).toMatch(
      /any worker continues from the checkpoint of step \d+ this server keeps/,
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000)); // A goes on failing to report, about twice a second
    stopA.abort();
    await runA;
    // one line for the lost server, not one per failed batch
    expect(
      linesA.filter((line) => /^job \S+: (cannot reach|still failing)/.test(line)),
      linesA.join('\n'),
    ).toHaveLength(1);

    // worker B, another machine (another work folder), claims the resumed job
    const kept = await storedCheckpoint(serverRun);
    expect(kept?.step).toBeGreaterThanOrEqual(2);
    const seen = app.jobStore.listEvents(id).at(-1)?.seq ?? 0;
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${id}/resume` })).statusCode).toBe(200);
    await waitFor(
      () => offerCount(app, id),
      (n) => n === 2,
      30_000,
    );
    const clientB = new WorkerClient(url);
    const claimB = await clientB.claim('gpu-b', 0);
    expect(claimB?.job).toMatchObject({ id, resume: true, checkpoint: { step: kept?.step } });
    if (!claimB) return;
    const linesB: string[] = [];
    const runB = runClaim({
      client: clientB,
      claim: claimB,
      workDir: mkdtempSync(join(tmpdir(), 'tl-worker-b-')),
      say: (line) => linesB.push(line),
    });
    const resumed = await until(
      () => app.jobStore.listEvents(id).filter((e) => e.seq > seen),
      (events) => events.some((e) => e.body.type === 'progress'),
      "worker B's first step",
    );
    const first = resumed.find((e) => e.body.type === 'progress')?.body;
    expect(first?.type === 'progress' && first.progress.step, linesB.join('\n')).toBe((kept?.step ?? 0) + 1);
    expect(bodies(resumed)).toContainEqual(
      expect.objectContaining({
        type: 'log',
        message: expect.stringMatching(
          `^continuing from the checkpoint of step ${kept?.step} the server keeps`,
        ),
      }),
    );
    // the dataset is B's own download of the same one: not "a different dataset" for being in another folder
    const later = bodies(app.jobStore.listEvents(id).filter((e) => e.seq > seen));
    expect(later).not.toContainEqual(
      expect.objectContaining({ level: 'warn', message: expect.stringMatching(/on a different dataset/) }),
    );
    expect(later).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: expect.stringMatching(/on this worker's download of the dataset/),
      }),
    );
    expect((await app.inject({ method: 'POST', url: `/api/jobs/${id}/cancel` })).statusCode).toBe(200);
    expect(await runB).toBe('stopped');
  }, 400_000);
});

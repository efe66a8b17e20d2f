// test/server-remote-workers-shutdown.test.ts — serve's Ctrl-C with a train job held by a remote GPU worker (in
// process, inject): it says the job is not waited for and what the worker does next, not "waiting up to 60 s … a
// train job saves a checkpoint first"; the job's line says a resume continues from the newest checkpoint a worker
// uploaded (or a newer one on that worker), not from a checkpoint named as if it were on this server.
import { describe, expect, it } from 'vitest';
import { serveUntilStopped } from '../src/cli/commands/serve.js';
import { claimedTrainJob, WORKER_HEADERS } from './helpers/remote-train-jobs.js';
import { fakeStopIo } from './helpers/stop-io.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-shutdown');

describe('serve stopping with a remote train job', () => {
  it('says it is not waited for and what the worker does next', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const { id, leaseId } = await claimedTrainJob(app, 'gpu-a');
    expect(app.remoteBoard?.remoteState(id)).toBeDefined();
    await app.inject({
      method: 'POST',
      url: `/api/worker/leases/${leaseId}/events`,
      headers: WORKER_HEADERS,
      payload: {
        events: [
          { type: 'progress', progress: { step: 4, total: 10, loss: 0.5 } },
          { type: 'checkpoint', step: 4, path: 'j/Mina/checkpoints/step-000004' },
        ],
      },
    });
    const { io, written, signals } = fakeStopIo();
    const serving = serveUntilStopped(app, io);
    signals.emit('SIGINT');
    expect(await serving).toBe(0);
    const text = written.join('');
    expect(text).not.toMatch(/waiting up to|saves a checkpoint first/);
    expect(written[0]).toBe(
      'toonlora serve: stopping. The train job on worker gpu-a is not waited for: recorded interrupted now. The ' +
        'worker trains on while it cannot report; once this server is back it finds its lease gone and stops with a ' +
        'checkpoint on its machine (a run that finishes meanwhile keeps its LoRA there and uploads it when the job is ' +
        'resumed).\n',
    );
    expect(written.at(-1)).toBe(
      `toonlora serve: train job ${id} interrupted at step 4/10 (the server shut down); after the next start, Resume continues ` +
        'from the newest checkpoint a worker uploaded to this server, or from a newer one on the worker that ran it ' +
        `(when that worker claims it) (the Resume button on the Train page, or POST /api/jobs/${id}/resume).\n`,
    );
  }, 30_000);
});

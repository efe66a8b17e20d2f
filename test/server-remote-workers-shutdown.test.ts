// test/server-remote-workers-shutdown.test.ts — serve's Ctrl-C with a train job held by a remote GPU worker (in
// process, inject): it says the job is not waited for and what the worker does next, not "waiting up to 60 s … a
// train job saves a checkpoint first"; the job's line says a resume continues from the newest checkpoint a worker
// uploaded (or a newer one on that worker), not from a checkpoint named as if it were on this server.
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { serveUntilStopped } from '../src/cli/commands/serve.js';
import { WORKER_HEADERS } from './helpers/remote-train-jobs.js';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('remote-shutdown');

describe('serve stopping with a remote train job', () => {
  it('says it is not waited for and what the worker does next', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 8 } });
    const seeded = await seedDataset(app);
    const submitted = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'train', characterId: seeded.characterId, params: { datasetId: seeded.datasetId } },
    });
    const id = String(submitted.json().id);
    await vi.waitFor(() => expect(app.remoteBoard?.remoteState(id)).toBeDefined(), { timeout: 10_000 });
    const claim = await app.inject({
      method: 'POST',
      url: '/api/worker/claim',
      headers: WORKER_HEADERS,
      payload: { worker: 'gpu-a', waitS: 0 },
    });
    const { leaseId } = claim.json();
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
    const signals = new EventEmitter();
    const written: string[] = [];
    const io = {
      signals,
      write: (text: string) => void written.push(text),
      killWorkers: vi.fn(),
      exit: vi.fn(),
    };
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

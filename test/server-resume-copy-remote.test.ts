// test/server-resume-copy-remote.test.ts — a `--remote-workers` server and a stopped train job whose dataset version
// was deleted, with the training copy a local run kept (jobs/<id>/train-data): the workers download the version,
// never that copy, so the resume is refused up front, saying why and what to do. Before, it was let through and
// the job failed later, once a worker's download of the deleted version was refused.
import { describe, expect, it } from 'vitest';
import { seedDataset } from './helpers/server-fixtures.js';
import { stoppedWithCopy } from './helpers/stopped-train-job.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('resume-copy-remote');

describe('resuming on a --remote-workers server', () => {
  it('refuses a job whose dataset version was deleted, though the server keeps a training copy', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 1 }, deferJobs: true });
    const { characterId, datasetId } = await seedDataset(app);
    const { job } = stoppedWithCopy(app, characterId, datasetId);
    expect((await app.inject({ method: 'DELETE', url: `/api/datasets/${datasetId}` })).statusCode).toBe(204);
    const refused = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().error).toMatchObject({
      code: 'TL_ERR_CONFLICT',
      message:
        `train job ${job.id} cannot be resumed: its dataset version ${datasetId} was deleted, and this server ` +
        'hands train jobs to remote workers (--remote-workers), which download the dataset version; the training ' +
        `copy the server keeps (jobs/${job.id}/train-data) is only trained on by a server that trains jobs itself. ` +
        'Restart the server without --remote-workers to resume the job from that copy on this machine, or start a ' +
        'new train job on another version (the Train page).',
      details: { id: job.id, datasetId },
    });
    expect(app.jobStore.getJob(job.id).status).toBe('cancelled');
  });

  it('resumes one whose dataset version is still listed', async () => {
    const app = await makeApp({ remoteWorkers: { leaseMs: 60_000, jobs: 1 }, deferJobs: true });
    const { characterId, datasetId } = await seedDataset(app);
    const { job } = stoppedWithCopy(app, characterId, datasetId);
    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(app.jobStore.getJob(job.id).status).toBe('queued');
  });
});

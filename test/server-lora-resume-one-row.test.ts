// test/server-lora-resume-one-row.test.ts — one LoRA row per file: a train job that recorded its LoRA, then was
// cancelled as it ended (resumable), and is resumed records the same file again: its row is updated, not a second
// one added. Before, the LoRA page listed the LoRA twice and deleting either row removed the other's file. Rows a
// data folder kept from before (two at one path) list once and go together on a delete.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SqliteDatabase } from '../src/jobs/database.js';
import { createTrainRunner } from '../src/jobs/runners/train-runner.js';
import { NO_WORKER_SPAWN, recordRunLora, trainJobWithFinishedRun } from './helpers/finished-run.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';
import { trainedLora } from './helpers/trained-lora.js';

const { makeApp } = appsClosedAfterEach('lora-resume-one-row');

describe('a resumed train job that had recorded its LoRA', () => {
  it('updates its LoRA row: the list has one entry, and the delete removes it and its file', async () => {
    const spawn = NO_WORKER_SPAWN;
    const app = await makeApp({ runners: (deps) => ({ train: createTrainRunner(deps, { spawn }) }) });
    const { characterId, datasetId, job, name, runRel } = await trainJobWithFinishedRun(app);
    const first = recordRunLora(app, { characterId, jobId: job.id, name, runRel });
    app.jobStore.transition(job.id, 'cancelled'); // a cancel that came as it ended: the LoRA is recorded

    const resumed = await app.inject({ method: 'POST', url: `/api/jobs/${job.id}/resume` });
    expect(resumed.statusCode, resumed.body).toBe(200);
    await app.queue.whenIdle();
    const after = app.jobStore.getJob(job.id);
    expect(after.status, JSON.stringify(after.error)).toBe('succeeded');
    expect(after.result?.loraId).toBe(first.id);
    const listed = (await app.inject({ url: `/api/artifacts?characterId=${characterId}&kind=lora` })).json();
    // before: two rows, the same file
    expect(listed.artifacts.map((a: { id: string }) => a.id)).toEqual([first.id]);
    expect(listed.artifacts[0].meta).toMatchObject({ steps: 10, datasetId });

    const deleted = await app.inject({ method: 'DELETE', url: `/api/loras/${first.id}` });
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(existsSync(join(app.dataDir, runRel, `${name}.safetensors`))).toBe(false);
    expect(app.catalog.listArtifacts({ characterId, kind: 'lora' })).toEqual([]);
  }, 60_000);

  it('lists two rows a data folder kept for one file as one (the newest); a delete of either removes both', async () => {
    const app = await makeApp();
    const { characterId, train, lora: older, file } = await trainedLora(app);
    const path = `jobs/${train.id}/mina/mina.safetensors`;
    // as an older toonlora recorded a resumed job's LoRA: a second row at the same path
    // the store's own connection (the database is opened for this process alone)
    const { db } = app.catalog as unknown as { db: SqliteDatabase };
    db.prepare(
      "INSERT INTO artifacts (id, character_id, job_id, kind, name, path, meta, created_at) VALUES ('00000000-0000-4000-8000-00000000000b', ?, ?, 'lora', 'mina', ?, '{}', ?)",
    ).run(characterId, train.id, path, new Date(Date.parse(older.createdAt) + 1000).toISOString());
    const newer = '00000000-0000-4000-8000-00000000000b';
    expect(app.catalog.listArtifacts({ characterId, kind: 'lora' }).map((a) => a.id)).toEqual([newer]);
    // a generate job sent with the hidden row holds the file too
    const job = app.jobStore.createJob('generate', characterId, { loraId: older.id });
    const refused = await app.inject({ method: 'DELETE', url: `/api/loras/${newer}` });
    expect(refused.statusCode, refused.body).toBe(409);
    expect(refused.json().error.details.jobIds).toEqual([job.id]);
    app.jobStore.transition(job.id, 'cancelled');
    const deleted = await app.inject({ method: 'DELETE', url: `/api/loras/${newer}` });
    expect(deleted.statusCode, deleted.body).toBe(204);
    expect(existsSync(file)).toBe(false);
    expect((await app.inject({ url: `/api/artifacts/${older.id}/file` })).statusCode).toBe(404);
    expect(app.catalog.listArtifacts({ characterId, kind: 'lora' })).toEqual([]);
  });
});

// test/server-lora-same-file-ids.test.ts — two LoRA rows an older toonlora recorded for one file list as one (the
// newest): GET /api/artifacts gives that row the older rows' ids (`sameFileIds`), so that the web app takes a job or
// an address naming an older row for the LoRA listed (before, it called that LoRA deleted). A LoRA with one row
// has no such field.
import { expect, it } from 'vitest';
import type { SqliteDatabase } from '../src/jobs/database.js';
import { artifactListSchema } from '../src/schemas/api.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';
import { trainedLora } from './helpers/trained-lora.js';

const { makeApp } = appsClosedAfterEach('lora-same-file-ids');

it('lists the newest row of a LoRA file with the ids of the older rows it hides', async () => {
  const app = await makeApp();
  const { characterId, train, lora: older } = await trainedLora(app);
  const other = await trainedLora(app, 'Rin');
  // as an older toonlora recorded a resumed job's LoRA: a second row at the same path (the store's own connection)
  const { db } = app.catalog as unknown as { db: SqliteDatabase };
  const newer = '00000000-0000-4000-8000-00000000000b';
  db.prepare(
    "INSERT INTO artifacts (id, character_id, job_id, kind, name, path, meta, created_at) VALUES (?, ?, ?, 'lora', 'mina', ?, '{}', ?)",
  ).run(
    newer,
    characterId,
    train.id,
    `jobs/${train.id}/mina/mina.safetensors`,
    new Date(Date.parse(older.createdAt) + 1000).toISOString(),
  );

  const answer = await app.inject({ url: `/api/artifacts?characterId=${characterId}&kind=lora` });
  expect(answer.statusCode, answer.body).toBe(200);
  const { artifacts } = artifactListSchema.parse(answer.json());
  expect(artifacts.map((a) => [a.id, a.sameFileIds])).toEqual([[newer, [older.id]]]);
  // the list by job, and without a kind, say the same
  const byJob = (await app.inject({ url: `/api/artifacts?jobId=${train.id}` })).json().artifacts;
  expect(byJob.map((a: { sameFileIds?: string[] }) => a.sameFileIds)).toEqual([[older.id]]);
  // a LoRA with one row: no field
  const single = (
    await app.inject({ url: `/api/artifacts?characterId=${other.characterId}&kind=lora` })
  ).json();
  expect(single.artifacts.map((a: { id: string }) => a.id)).toEqual([other.lora.id]);
  expect(single.artifacts[0]).not.toHaveProperty('sameFileIds');
});

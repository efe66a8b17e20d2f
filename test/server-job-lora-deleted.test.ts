// test/server-job-lora-deleted.test.ts — the Train page's read of a succeeded train job's LoRA
// (GET /api/artifacts?kind=lora&jobId=) before and after DELETE /api/loras/:id: the page links it while it is
// listed and says it was deleted once it is gone (web/src/components/job-lora.tsx), not a link to a "not found".
import { describe, expect, it } from 'vitest';
import type { Artifact } from '../src/schemas/api.js';
import { jobLoraState } from '../web/src/components/job-lora.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';
import { trainedLora } from './helpers/trained-lora.js';

const { makeApp } = appsClosedAfterEach('job-lora-deleted');

describe("a train job's LoRA after it is deleted", () => {
  it('is listed for the job until DELETE /api/loras/:id, then the page reads it as deleted', async () => {
    const app = await makeApp();
    const { characterId, train, lora } = await trainedLora(app);
    const read = async () => {
      const url = `/api/artifacts?${new URLSearchParams({ characterId, kind: 'lora', jobId: train.id })}`;
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, res.body).toBe(200);
      return (res.json() as { artifacts: Artifact[] }).artifacts;
    };
    expect(jobLoraState(await read(), train.id)).toBe('present');
    const del = await app.inject({ method: 'DELETE', url: `/api/loras/${lora.id}` });
    expect(del.statusCode, del.body).toBe(204);
    expect(jobLoraState(await read(), train.id)).toBe('deleted');
  });
});

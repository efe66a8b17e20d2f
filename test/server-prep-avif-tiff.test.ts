// test/server-prep-avif-tiff.test.ts — a dataset built from an AVIF upload (stored as it is) and a TIFF upload
// (converted to PNG on arrival), through the API (fastify `inject`) with the prep runner: prep reads both, and every
// stage image of their crops (original, text removed, mask, crop) is served, each crop named after its upload.
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createPrepRunner } from '../src/jobs/runners/prep-runner.js';
import { multipartBody } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('prep-avif-tiff');
const SCREENS = join(import.meta.dirname, '..', 'examples', 'screens');

describe('prep of AVIF and TIFF uploads', () => {
  it('builds crops from both, each stage image served', async () => {
    const app = await makeApp({ runners: (deps) => ({ prep: createPrepRunner(deps) }) });
    const characterId = await createCharacter(app);
    const files = [
      { filename: 'night.avif', data: await sharp(join(SCREENS, 'panel-06-night.png')).avif().toBuffer() },
      {
        filename: 'two scan.tif',
        data: await sharp(join(SCREENS, 'panel-03-two-characters.png')).tiff().toBuffer(),
      },
    ];
    const upload = await app.inject({
      method: 'POST',
      url: `/api/characters/${characterId}/images`,
      ...multipartBody(files),
    });
    expect(upload.statusCode, upload.body).toBe(201);
    const res = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'prep', characterId },
    });
    expect(res.statusCode).toBe(201);
    await app.queue.whenIdle();
    const job = (await app.inject({ method: 'GET', url: `/api/jobs/${res.json().id}` })).json();
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    const dataset = (
      await app.inject({ method: 'GET', url: `/api/datasets/${job.result.datasetId}` })
    ).json() as {
      items: Array<{ source: string; stages: Record<string, string | null> }>;
      skipped: unknown[];
    };
    const sources = new Set(dataset.items.map((item) => item.source));
    expect([...sources].toSorted(), JSON.stringify(dataset.skipped)).toEqual(['night.avif', 'two scan.png']);
    for (const item of dataset.items) {
      for (const stage of ['original', 'textRemoved', 'mask', 'crop']) {
        const file = await app.inject({ method: 'GET', url: item.stages[stage] as string });
        expect(file.statusCode, `${item.source} ${stage}`).toBe(200);
        expect((await sharp(file.rawPayload).metadata()).width, `${item.source} ${stage}`).toBeGreaterThan(0);
      }
    }
  }, 120_000);
});

// test/server-datasets.test.ts — dataset review through the API (inject, no port): stage urls, skipped files,
// caption edit, exclude / re-include, the kohya zip, content types of the stages, unknown keys.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readZipEntries, seedDataset, solidPng } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('jobs');

describe('datasets', () => {
  it('reviews a dataset: stage urls, skipped files, caption edit, exclude / re-include, kohya zip', async () => {
    const app = await makeApp({ runners: {} });
    const { characterId, datasetId } = await seedDataset(app);
    const list = (await app.inject({ method: 'GET', url: `/api/characters/${characterId}/datasets` })).json();
    expect(list.datasets).toEqual([
      expect.objectContaining({ id: datasetId, itemCount: 2, excludedCount: 0 }),
    ]);
    const detail = (await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}` })).json();
    expect(detail.skipped).toEqual([
      { source: 'blank.png', status: 'skipped', reason: 'no character found' },
    ]);
    expect(detail.items[0].stages).toEqual({
      original: `/api/datasets/${datasetId}/items/a/original`,
      textRemoved: null,
      mask: null,
      crop: `/api/datasets/${datasetId}/items/a/image`,
    });
    const image = await app.inject({ method: 'GET', url: detail.items[0].stages.crop });
    expect(image.headers['content-type']).toBe('image/png');
    const missingStage = await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/items/a/mask` });
    expect(missingStage.statusCode).toBe(404);

    const edit = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/a`,
      payload: { caption: 'mina_tl, red coat' },
    });
    expect(edit.json().items[0].caption).toBe('mina_tl, red coat');
    const exclude = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: { excluded: true },
    });
    expect(exclude.json().excludedCount).toBe(1);
    const empty = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: {},
    });
    expect(empty.statusCode).toBe(400);
    const twoLines = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/a`,
      payload: { caption: 'mina_tl, red coat\nsmiling' },
    });
    expect(twoLines.statusCode).toBe(400);
    expect(twoLines.json().error.message).toContain('body.caption: a caption is one line');
    expect(twoLines.json().error.details.fields).toEqual(['body.caption']);

    const zip = await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/zip` });
    expect(zip.headers['content-type']).toBe('application/zip');
    const entries = readZipEntries(zip.rawPayload);
    expect([...entries.keys()].sort()).toEqual(['10_mina_tl girl/a.png', '10_mina_tl girl/a.txt']);
    expect(entries.get('10_mina_tl girl/a.txt')?.toString()).toBe('mina_tl, red coat\n');

    await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: { excluded: false },
    });
    const again = readZipEntries(
      (await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/zip` })).rawPayload,
    );
    expect(again.size).toBe(4);
  });

  it("counts edited captions and takes an empty caption as the folder's `<trigger> <class>`", async () => {
    const app = await makeApp({ runners: {} });
    const { characterId, datasetId } = await seedDataset(app);
    const listed = async () =>
      (await app.inject({ method: 'GET', url: `/api/characters/${characterId}/datasets` })).json()
        .datasets[0];
    expect((await listed()).editedCount).toBe(0);
    const blank = await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/a`,
      payload: { caption: '  ' },
    });
    expect(blank.statusCode).toBe(200);
    expect(blank.json().items[0].caption).toBe('');
    expect(blank.json().editedCount).toBe(1);
    await app.inject({
      method: 'PATCH',
      url: `/api/datasets/${datasetId}/items/b`,
      payload: { excluded: true },
    });
    expect(await listed()).toEqual(expect.objectContaining({ editedCount: 1, excludedCount: 1 }));
    // an empty caption file: the trainer (and kohya) caption the image with the folder's `<trigger> <class>`
    const entries = readZipEntries(
      (await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/zip` })).rawPayload,
    );
    expect(entries.get('10_mina_tl girl/a.txt')?.toString()).toBe('\n');
  });

  it('sends a JPEG original as image/jpeg and the PNG crop as image/png', async () => {
    const app = await makeApp({ runners: {} });
    const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const prep = app.jobStore.createJob('prep', character.id, {});
    mkdirSync(join(app.dataDir, 'uploads', character.id), { recursive: true });
    mkdirSync(join(app.dataDir, 'jobs', prep.id, '10_mina_tl girl'), { recursive: true });
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#c85028' } })
      .jpeg()
      .toBuffer();
    writeFileSync(join(app.dataDir, 'uploads', character.id, 'a.jpg'), jpeg);
    writeFileSync(join(app.dataDir, 'jobs', prep.id, '10_mina_tl girl', 'a.png'), await solidPng(8, 8));
    const dataset = app.catalog.createDataset({
      characterId: character.id,
      jobId: prep.id,
      dir: `jobs/${prep.id}`,
      items: [
        {
          key: 'a',
          source: 'a.jpg',
          imagePath: `jobs/${prep.id}/10_mina_tl girl/a.png`,
          caption: 'mina_tl, girl',
          stages: { original: `uploads/${character.id}/a.jpg`, textRemoved: null, mask: null, crop: null },
        },
      ],
      skipped: [],
    });
    const original = await app.inject({ method: 'GET', url: `/api/datasets/${dataset.id}/items/a/original` });
    expect(original.statusCode).toBe(200);
    expect(original.headers['content-type']).toBe('image/jpeg');
    expect(original.rawPayload.equals(jpeg)).toBe(true);
    const crop = await app.inject({ method: 'GET', url: `/api/datasets/${dataset.id}/items/a/image` });
    expect(crop.headers['content-type']).toBe('image/png');
  });

  it('says where to list the items of a dataset when a key is unknown', async () => {
    const app = await makeApp({ runners: {} });
    const { datasetId } = await seedDataset(app);
    const missing = await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}/items/zz/original` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.message).toBe(
      `dataset ${datasetId}: item zz not found. List its items with GET /api/datasets/${datasetId}.`,
    );
    const noDataset = await app.inject({ method: 'GET', url: '/api/datasets/nope' });
    expect(noDataset.json().error.message).toBe(
      'dataset nope not found. List them with GET /api/characters/<characterId>/datasets.',
    );
  });

  it('an item of a dataset that does not exist: says the dataset is not found (it said the item was)', async () => {
    const app = await makeApp({ runners: {} });
    const id = '9b2f0c1e-0000-4000-8000-000000000000';
    const res = await app.inject({ method: 'GET', url: `/api/datasets/${id}/items/x/original` });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toBe(
      `dataset ${id} not found. List them with GET /api/characters/<characterId>/datasets.`,
    );
  });
});

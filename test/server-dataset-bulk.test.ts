// test/server-dataset-bulk.test.ts — PATCH /api/datasets/:id/items (inject, no port): several items excluded or
// re-included in one request (the Dataset page's "Exclude selected"; before, one PATCH per item), all or none
// (a key the dataset does not have: 404 naming it, nothing changed), captions untouched, documented in OpenAPI.
import { describe, expect, it } from 'vitest';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('dataset-bulk');

describe('PATCH /api/datasets/:id/items', () => {
  it('excludes and re-includes several items in one request and answers the dataset as it is now', async () => {
    const app = await makeApp({ runners: {} });
    const { characterId, datasetId } = await seedDataset(app);
    const url = `/api/datasets/${datasetId}/items`;
    const excluded = await app.inject({
      method: 'PATCH',
      url,
      payload: { keys: ['a', 'b'], excluded: true },
    });
    expect(excluded.statusCode).toBe(200);
    expect(excluded.json()).toMatchObject({ id: datasetId, itemCount: 2, excludedCount: 2 });
    expect(excluded.json().items.map((i: { excluded: boolean }) => i.excluded)).toEqual([true, true]);
    // captions as they were
    expect(excluded.json().items.map((i: { caption: string }) => i.caption)).toEqual([
      'mina_tl, girl a',
      'mina_tl, girl b',
    ]);
    const list = (await app.inject({ method: 'GET', url: `/api/characters/${characterId}/datasets` })).json();
    expect(list.datasets[0].excludedCount).toBe(2);

    const back = await app.inject({ method: 'PATCH', url, payload: { keys: ['b', 'b'], excluded: false } });
    expect(back.statusCode).toBe(200);
    expect(back.json().excludedCount).toBe(1);
    expect(app.catalog.listDatasetItems(datasetId).map((i) => [i.key, i.excluded])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('changes nothing when one key is not in the dataset (404 naming it), and refuses a bad body (400)', async () => {
    const app = await makeApp({ runners: {} });
    const { datasetId } = await seedDataset(app);
    const url = `/api/datasets/${datasetId}/items`;
    const unknown = await app.inject({
      method: 'PATCH',
      url,
      payload: { keys: ['a', 'zz'], excluded: true },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.message).toContain('no item zz; nothing was changed');
    expect(unknown.json().error.details).toEqual({ id: datasetId, keys: ['zz'] });
    expect(app.catalog.listDatasetItems(datasetId).every((i) => !i.excluded)).toBe(true);

    for (const payload of [{ keys: [], excluded: true }, { keys: ['a'] }, { keys: [''], excluded: true }]) {
      const res = await app.inject({ method: 'PATCH', url, payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    }
    const noDataset = await app.inject({
      method: 'PATCH',
      url: '/api/datasets/nobody/items',
      payload: { keys: ['a'], excluded: true },
    });
    expect(noDataset.statusCode).toBe(404);
  });

  it('is in the OpenAPI document with its body and answers', async () => {
    const app = await makeApp();
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const route = doc.paths['/api/datasets/{id}/items']?.patch;
    expect(route).toBeDefined();
    const body = route.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(expect.arrayContaining(['keys', 'excluded']));
    expect(body.properties.keys).toMatchObject({ type: 'array', minItems: 1 });
    expect(Object.keys(route.responses)).toEqual(expect.arrayContaining(['200', '400', '404']));
  });
});

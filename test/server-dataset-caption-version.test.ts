// test/server-dataset-caption-version.test.ts — a caption edit sent with the captionVersion it started from is
// refused (409, the current caption in its details) when another tab saved that caption since: the second tab's
// save silently overwrote the first one's. Without a version the edit overwrites, as before (API clients).
import { describe, expect, it } from 'vitest';
import { seedDataset } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('caption-version');

describe('dataset caption versions', () => {
  it("refuses a stale tab's caption save with 409, keeps the first edit; no version still overwrites", async () => {
    const app = await makeApp({ runners: {} });
    const { datasetId } = await seedDataset(app);
    const url = `/api/datasets/${datasetId}/items/a`;
    const itemA = async () =>
      (await app.inject({ method: 'GET', url: `/api/datasets/${datasetId}` }))
        .json()
        .items.find((item: { key: string }) => item.key === 'a');
    const opened = await itemA(); // both tabs read the item
    expect(opened.caption).toBe('mina_tl, girl a');
    expect(opened.captionVersion).toMatch(/^[0-9a-f]{16}$/);

    const tabA = await app.inject({
      method: 'PATCH',
      url,
      payload: { caption: 'mina_tl, TAB A edit', captionVersion: opened.captionVersion },
    });
    expect(tabA.statusCode).toBe(200);
    const afterA = await itemA();
    expect(afterA.captionVersion).not.toBe(opened.captionVersion);

    const tabB = await app.inject({
      method: 'PATCH',
      url,
      payload: { caption: 'mina_tl, TAB B edit', captionVersion: opened.captionVersion },
    });
    expect(tabB.statusCode).toBe(409);
    expect(tabB.json().error.code).toBe('TL_ERR_CONFLICT');
    expect(tabB.json().error.message).toContain('the caption was changed since you read it');
    expect(tabB.json().error.details).toMatchObject({
      caption: 'mina_tl, TAB A edit',
      captionVersion: afterA.captionVersion,
    });
    await expect(itemA()).resolves.toMatchObject({ caption: 'mina_tl, TAB A edit' });

    // the stale version does not block an exclude, nor a save of the text already there
    const exclude = await app.inject({
      method: 'PATCH',
      url,
      payload: { excluded: true, captionVersion: opened.captionVersion },
    });
    expect(exclude.statusCode).toBe(200);
    const same = await app.inject({
      method: 'PATCH',
      url,
      payload: { caption: 'mina_tl, TAB A edit', captionVersion: opened.captionVersion },
    });
    expect(same.statusCode).toBe(200);

    // B keeps its text: sent again with the current version it is saved
    const keepMine = await app.inject({
      method: 'PATCH',
      url,
      payload: { caption: 'mina_tl, TAB B edit', captionVersion: afterA.captionVersion },
    });
    expect(keepMine.statusCode).toBe(200);
    // an API client that sends no version overwrites, as before
    const noVersion = await app.inject({ method: 'PATCH', url, payload: { caption: 'mina_tl, script' } });
    expect(noVersion.statusCode).toBe(200);
    await expect(itemA()).resolves.toMatchObject({ caption: 'mina_tl, script', excluded: true });
  });

  it('documents the version and the 409 in /openapi.json', async () => {
    const app = await makeApp({ runners: {} });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const patch = doc.paths['/api/datasets/{id}/items/{key}'].patch;
    expect(Object.keys(patch.responses)).toContain('409');
    const body = patch.requestBody.content['application/json'].schema;
    expect(body.properties.captionVersion.description).toContain('Left out, the caption is written');
  });
});

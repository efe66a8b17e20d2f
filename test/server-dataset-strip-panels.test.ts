// test/server-dataset-strip-panels.test.ts — a crop prep cut from a webtoon strip panel: GET /api/datasets/:id names
// its panel (number and box), and its original / text removed / mask images are that panel's region of the strip
// (they were the whole 800 x 12000 strip, a sliver on the Dataset page); a file analysed whole is served as stored.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeToRgb } from '../src/vision/sharp-io.js';
import { PANEL_COLOURS, STRIP_PANELS, seedStripDataset } from './helpers/strip-dataset.js';
import { itemsAfterUpgrade } from './helpers/old-store.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('strip-panels');

describe('a dataset made from a webtoon strip', () => {
  it('lists each crop with its panel', async () => {
    const app = await makeApp();
    const { dataset } = await seedStripDataset(app);
    const res = await app.inject({ method: 'GET', url: `/api/datasets/${dataset.id}` });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ key: string; source: string; panel: unknown }>;
    expect(items.map((item) => [item.key, item.source, item.panel])).toEqual(
      STRIP_PANELS.map((box, i) => [`004-webtoon-ep1-p0${i + 1}`, 'webtoon-ep1.png', { index: i + 1, box }]),
    );
  }, 60_000);

  it("serves a panel crop's original, text removed and mask as that panel's region", async () => {
    const app = await makeApp();
    const { dataset } = await seedStripDataset(app);
    const items = (await app.inject({ method: 'GET', url: `/api/datasets/${dataset.id}` })).json()
      .items as Array<{
      stages: Record<string, string | null>;
    }>;
    const third = items[2]?.stages ?? {};
    for (const stage of ['original', 'textRemoved', 'mask']) {
      const res = await app.inject({ method: 'GET', url: third[stage] ?? '' });
      expect(res.statusCode, stage).toBe(200);
      expect(res.headers['content-type'], stage).toBe('image/png');
      const image = await decodeToRgb(res.rawPayload, { maxPixels: 1e8 });
      // panel 3 alone: 800 x 2100, all of its colour (no white gutter, no other panel)
      expect([image.width, image.height], stage).toEqual([800, STRIP_PANELS[2]?.height]);
      const colours = new Set<string>();
      for (let i = 0; i < image.data.length; i += 3) colours.add(image.data.subarray(i, i + 3).join(','));
      expect([...colours], stage).toEqual([PANEL_COLOURS[2]?.join(',')]);
    }
  }, 60_000);

  it("a damaged stage image of the strip answers 422 TL_ERR_IMAGE_DECODE naming it (it was a 500 'internal server error')", async () => {
    const app = await makeApp();
    const { dataset } = await seedStripDataset(app);
    const item = app.catalog.listDatasetItems(dataset.id)[2];
    const rel = item?.stages.textRemoved;
    if (!item || !rel) throw new Error('no text-removed stage');
    const path = join(app.dataDir, rel);
    writeFileSync(path, readFileSync(path).subarray(0, 200)); // a PNG cut short: libpng read error
    const res = await app.inject({
      method: 'GET',
      url: `/api/datasets/${dataset.id}/items/${item.key}/textRemoved`,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('TL_ERR_IMAGE_DECODE');
    expect(res.json().error.message).toMatch(
      new RegExp(
        `^the textRemoved image of dataset ${dataset.id} item ${item.key} cannot be read \\(.+\\): its file in the data folder is damaged or not an image\\. Build the dataset again \\(prep\\) to write it anew\\.$`,
      ),
    );
    expect(res.json().error.details).toEqual({ file: basename(path) });
  }, 60_000);

  it('serves the whole stage image for an item without a panel', async () => {
    const app = await makeApp();
    const { dataset } = await seedStripDataset(app);
    const item = app.catalog.listDatasetItems(dataset.id)[0];
    if (!item) throw new Error('no item');
    const whole = app.catalog.createDataset({
      characterId: dataset.characterId,
      jobId: dataset.jobId,
      dir: 'jobs/whole',
      items: [{ ...item, panel: null }],
      skipped: [],
    });
    const detail = (await app.inject({ method: 'GET', url: `/api/datasets/${whole.id}` })).json();
    expect(detail.items[0].panel).toBeNull();
    const res = await app.inject({ method: 'GET', url: detail.items[0].stages.textRemoved });
    const image = await decodeToRgb(res.rawPayload, { maxPixels: 1e8 });
    expect([image.width, image.height]).toEqual([800, 12000]);
  }, 60_000);
});

describe('a dataset item stored before panels were kept', () => {
  it('reads with no panel once the store is upgraded', () => {
    // back to the schema before migration 6 (7's table dropped too), with an item written as that version wrote it
    const items = itemsAfterUpgrade(
      'DROP TABLE deleted_folders; ALTER TABLE dataset_items DROP COLUMN panel; PRAGMA user_version = 5;',
      { original: null },
      'strip-panels',
    );
    expect(items.map((item) => item.panel)).toEqual([null]);
  });
});

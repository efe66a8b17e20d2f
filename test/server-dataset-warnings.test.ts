// test/server-dataset-warnings.test.ts — a crop's quality warnings from prep are stored with its dataset
// item and come back per item from GET /api/datasets/:id (an item without any gets an empty list, and so
// does an item stored before the store kept warnings).
import { describe, expect, it } from 'vitest';
import { itemsAfterUpgrade } from './helpers/old-store.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach();

describe('GET /api/datasets/:id', () => {
  it("returns each item's quality warnings", async () => {
    const app = await makeApp();
    const character = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const prep = app.jobStore.createJob('prep', character.id, {});
    app.jobStore.transition(prep.id, 'running');
    app.jobStore.transition(prep.id, 'succeeded', { result: {} });
    const stages = { original: null, textRemoved: null, mask: null, crop: null };
    const warning = 'quality warning: text removal erased 12 % of the character (lower left)';
    const dataset = app.catalog.createDataset({
      characterId: character.id,
      jobId: prep.id,
      dir: `jobs/${prep.id}/dataset`,
      items: [
        {
          key: 'a',
          source: 'a.png',
          imagePath: `jobs/${prep.id}/dataset/a.png`,
          caption: 'x',
          stages,
          warnings: [warning],
        },
        { key: 'b', source: 'b.png', imagePath: `jobs/${prep.id}/dataset/b.png`, caption: 'y', stages },
      ],
      skipped: [],
    });
    const res = await app.inject({ method: 'GET', url: `/api/datasets/${dataset.id}` });
    expect(res.statusCode).toBe(200);
    const items = res.json().items as Array<{ key: string; warnings: string[] }>;
    expect(items.map((item) => [item.key, item.warnings])).toEqual([
      ['a', [warning]],
      ['b', []],
    ]);
  });
});

describe('a dataset item stored before warnings were kept', () => {
  it('reads with no warnings once the store is upgraded', () => {
    // back to the schema before migration 4 (7's table dropped too), with an item written as that version wrote it
    const items = itemsAfterUpgrade(
      'DROP TABLE deleted_folders; ALTER TABLE dataset_items DROP COLUMN panel; ALTER TABLE dataset_items DROP COLUMN warnings; PRAGMA user_version = 3;',
      { original: null, textRemoved: null, mask: null, crop: null },
    );
    expect(items.map((item) => item.warnings)).toEqual([[]]);
  });
});

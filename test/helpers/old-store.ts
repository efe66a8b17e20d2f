// test/helpers/old-store.ts — a data folder whose store an older toonlora wrote: taken back to an older schema,
// holding one dataset item as that version wrote it, then opened (and so upgraded) again.
import { join } from 'node:path';
import { CatalogStore } from '../../src/jobs/catalog-store.js';
import { DATABASE_FILE } from '../../src/jobs/data-layout.js';
import { openDatabase } from '../../src/jobs/database.js';
import { JobStore } from '../../src/jobs/job-store.js';
import { tempDataDir } from './server-fixtures.js';

/**
 * The items of dataset `d1` read back from an upgraded store, after its schema was taken back by `downgrade` (SQL:
 * columns dropped, `PRAGMA user_version` set) and `d1` was written with one item `a` of `stages`, as the older
 * version wrote it (a character Mina and her prep job under it).
 */
export function itemsAfterUpgrade(downgrade: string, stages: Record<string, null>, label?: string) {
  const dataDir = tempDataDir(label);
  const path = join(dataDir, DATABASE_FILE);
  const old = openDatabase(path);
  const character = new CatalogStore(old, dataDir).createCharacter({
    name: 'Mina',
    trigger: 'mina_tl',
    classWord: 'girl',
  });
  const job = new JobStore(old).createJob('prep', character.id, {});
  old.exec(downgrade);
  old
    .prepare(
      'INSERT INTO datasets (id, character_id, job_id, dir, skipped, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run('d1', character.id, job.id, 'jobs/x/dataset', '[]', new Date().toISOString());
  old
    .prepare(
      'INSERT INTO dataset_items (dataset_id, key, source, image_path, caption, stages) VALUES (?, ?, ?, ?, ?, ?)',
    )
    .run('d1', 'a', 'a.png', 'jobs/x/dataset/a.png', 'x', JSON.stringify(stages));
  old.close();
  const db = openDatabase(path);
  try {
    return new CatalogStore(db, dataDir).listDatasetItems('d1');
  } finally {
    db.close();
  }
}

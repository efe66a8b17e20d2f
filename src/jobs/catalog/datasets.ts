// src/jobs/catalog/datasets.ts — the datasets and dataset_items tables: the dataset versions prep jobs made,
// their items (caption, excluded, stage images, prep's quality warnings) and the files they skipped; a version's delete.
import { randomUUID } from 'node:crypto';
import { ToonloraError } from '../../errors.js';
import type { Dataset, DatasetItem, DatasetItemPanel, DatasetSkipped } from '../../schemas/api.js';
import type { SqliteDatabase } from '../database.js';
import { notFound, now, type Row } from './rows.js';

/** Stage image paths of one dataset item, relative to the data folder (null when not kept). */
export interface DatasetItemStages {
  original: string | null;
  textRemoved: string | null;
  mask: string | null;
  crop: string | null;
}

export interface NewDatasetItem {
  key: string;
  source: string;
  imagePath: string;
  caption: string;
  stages: DatasetItemStages;
  /** The crop's quality warnings from prep's manifest (none when left out). */
  warnings?: readonly string[];
  /** The strip panel the crop was cut from (none when its file was analysed whole). */
  panel?: DatasetItemPanel | null;
}

/** A dataset item as stored: stage paths still data-relative (the route turns them into URLs), no captionVersion
 * (the route derives it from the caption). */
export type StoredDatasetItem = Omit<DatasetItem, 'stages' | 'captionVersion'> & {
  imagePath: string;
  stages: DatasetItemStages;
};

const DATASET_SELECT = `SELECT d.*,
  (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id) AS item_count,
  (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id AND i.excluded = 1) AS excluded_count,
  (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id AND i.caption_edited = 1) AS edited_count
  FROM datasets d`;

function toDataset(row: Row): Dataset {
  return {
    id: String(row.id),
    characterId: String(row.character_id),
    jobId: String(row.job_id),
    createdAt: String(row.created_at),
    itemCount: Number(row.item_count),
    excludedCount: Number(row.excluded_count),
    editedCount: Number(row.edited_count),
  };
}

export function createDataset(
  db: SqliteDatabase,
  input: {
    characterId: string;
    jobId: string;
    dir: string;
    items: readonly NewDatasetItem[];
    skipped: readonly DatasetSkipped[];
  },
): Dataset {
  const id = randomUUID();
  const insertItem = db.prepare(
    'INSERT INTO dataset_items (dataset_id, key, source, image_path, caption, stages, warnings, panel) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    db.prepare(
      'INSERT INTO datasets (id, character_id, job_id, dir, skipped, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(id, input.characterId, input.jobId, input.dir, JSON.stringify(input.skipped), now());
    for (const item of input.items) {
      insertItem.run(
        id,
        item.key,
        item.source,
        item.imagePath,
        item.caption,
        JSON.stringify(item.stages),
        JSON.stringify(item.warnings ?? []),
        item.panel ? JSON.stringify(item.panel) : null,
      );
    }
  })();
  return getDataset(db, id);
}

export function listDatasets(db: SqliteDatabase, characterId: string): Dataset[] {
  const rows = db
    .prepare(`${DATASET_SELECT} WHERE d.character_id = ? ORDER BY d.created_at`)
    .all(characterId) as Row[];
  return rows.map(toDataset);
}

/** @throws ToonloraError TL_ERR_NOT_FOUND when unknown */
export function getDataset(db: SqliteDatabase, id: string): Dataset {
  const row = db.prepare(`${DATASET_SELECT} WHERE d.id = ?`).get(id) as Row | undefined;
  if (!row) throw notFound('dataset', id);
  return toDataset(row);
}

/** The jobs some dataset version was made by (a prep job not among them kept no dataset). */
export function jobIdsWithDataset(db: SqliteDatabase): Set<string> {
  const rows = db.prepare('SELECT DISTINCT job_id FROM datasets').all() as Row[];
  return new Set(rows.map((row) => String(row.job_id)));
}

/** Data-relative folder of a dataset version (the prep job's output). */
export function datasetDir(db: SqliteDatabase, id: string): string {
  const row = db.prepare('SELECT dir FROM datasets WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw notFound('dataset', id);
  return String(row.dir);
}

export function datasetSkipped(db: SqliteDatabase, id: string): DatasetSkipped[] {
  const row = db.prepare('SELECT skipped FROM datasets WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw notFound('dataset', id);
  return JSON.parse(String(row.skipped)) as DatasetSkipped[];
}

/** Items with stage paths still data-relative; the route turns them into URLs. */
export function listDatasetItems(db: SqliteDatabase, datasetId: string): StoredDatasetItem[] {
  const rows = db
    .prepare('SELECT * FROM dataset_items WHERE dataset_id = ? ORDER BY key')
    .all(datasetId) as Row[];
  return rows.map((row) => ({
    key: String(row.key),
    source: String(row.source),
    caption: String(row.caption),
    excluded: Boolean(row.excluded),
    imagePath: String(row.image_path),
    stages: JSON.parse(String(row.stages)) as DatasetItemStages,
    warnings: JSON.parse(String(row.warnings ?? '[]')) as string[],
    panel: row.panel ? (JSON.parse(String(row.panel)) as DatasetItemPanel) : null,
  }));
}

/** @throws ToonloraError TL_ERR_NOT_FOUND naming the dataset when there is none, else the dataset and the key */
export function getDatasetItem(db: SqliteDatabase, datasetId: string, key: string): StoredDatasetItem {
  const item = listDatasetItems(db, datasetId).find((candidate) => candidate.key === key);
  if (!item) {
    getDataset(db, datasetId); // no such dataset: say that, not that its item is missing
    throw new ToonloraError(
      'TL_ERR_NOT_FOUND',
      `dataset ${datasetId}: item ${key} not found. List its items with GET /api/datasets/${datasetId}.`,
      { details: { id: datasetId, key } },
    );
  }
  return item;
}

/** An empty caption is stored as such: the training copy's empty `.txt` means the folder's `<trigger> <class>`. */
export function updateDatasetItem(
  db: SqliteDatabase,
  datasetId: string,
  key: string,
  patch: { caption?: string; excluded?: boolean },
): void {
  const item = getDatasetItem(db, datasetId, key);
  const edited = patch.caption !== undefined && patch.caption !== item.caption;
  db.prepare(
    'UPDATE dataset_items SET caption = ?, excluded = ?, caption_edited = caption_edited OR ? WHERE dataset_id = ? AND key = ?',
  ).run(
    patch.caption ?? item.caption,
    (patch.excluded ?? item.excluded) ? 1 : 0,
    edited ? 1 : 0,
    datasetId,
    key,
  );
}

/**
 * Excludes or re-includes several items of a dataset in one transaction: all or none.
 * @throws ToonloraError TL_ERR_NOT_FOUND naming the dataset and the keys it does not have (nothing written)
 */
export function setDatasetItemsExcluded(
  db: SqliteDatabase,
  datasetId: string,
  keys: readonly string[],
  excluded: boolean,
): void {
  getDataset(db, datasetId);
  const have = new Set(listDatasetItems(db, datasetId).map((item) => item.key));
  const unknown = [...new Set(keys)].filter((key) => !have.has(key));
  if (unknown.length > 0) {
    throw new ToonloraError(
      'TL_ERR_NOT_FOUND',
      `dataset ${datasetId}: no item ${unknown.join(', ')}; nothing was changed. List its items with GET /api/datasets/${datasetId}.`,
      { details: { id: datasetId, keys: unknown } },
    );
  }
  const update = db.prepare('UPDATE dataset_items SET excluded = ? WHERE dataset_id = ? AND key = ?');
  db.transaction(() => {
    for (const key of keys) update.run(excluded ? 1 : 0, datasetId, key);
  })();
}

/** The train jobs not done yet (queued or running) that train on dataset version `id`, oldest first. */
function trainJobsUsing(db: SqliteDatabase, id: string): Row[] {
  return db
    .prepare(
      `SELECT id, status FROM jobs WHERE kind = 'train' AND status IN ('queued', 'running')
       AND json_extract(params, '$.datasetId') = ? ORDER BY created_at`,
    )
    .all(id) as Row[];
}

/**
 * Deletes dataset version `id`'s rows (it and its items, one transaction) and returns its folder, relative to the
 * data folder (the crops, captions and stage images prep wrote): the caller removes it once the rows are gone.
 * The prep job that made it and the LoRAs trained on it stay (a LoRA's file lives in its train job's folder).
 * @throws ToonloraError TL_ERR_NOT_FOUND when unknown; TL_ERR_CONFLICT naming the train jobs not done yet that
 *   train on it (nothing deleted)
 */
export function deleteDataset(db: SqliteDatabase, id: string): string {
  return db.transaction(() => {
    const dir = datasetDir(db, id);
    const using = trainJobsUsing(db, id);
    if (using.length > 0) {
      const list = using.map((j) => `train job ${j.id} (${j.status})`).join(', ');
      const cancel =
        using.length === 1
          ? `Cancel it (the Cancel button on the Train page, or POST /api/jobs/${using[0]?.id}/cancel) or let it finish`
          : 'Cancel them (the Cancel button on the Train page, or POST /api/jobs/<id>/cancel) or let them finish';
      throw new ToonloraError(
        'TL_ERR_CONFLICT',
        `dataset version ${id} is used by a job that is not done: ${list}; nothing was deleted. ${cancel}, then delete the version.`,
        { details: { id, jobIds: using.map((j) => String(j.id)) } },
      );
    }
    db.prepare('DELETE FROM dataset_items WHERE dataset_id = ?').run(id);
    db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
    return dir;
  })();
}

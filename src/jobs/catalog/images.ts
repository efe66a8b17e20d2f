// src/jobs/catalog/images.ts — the images table: a character's uploaded screenshots (record, list, get,
// find by content, remove) and where their files are stored.
import { ToonloraError } from '../../errors.js';
import type { ImageFormat, UploadedImage } from '../../schemas/api.js';
import { resolveDataPath } from '../data-path.js';
import type { SqliteDatabase } from '../database.js';
import { getCharacter } from './characters.js';
import { notFound, now, type Row } from './rows.js';

/** One uploaded screenshot to record; its file is already stored at `storedPath` (relative to the data folder). */
export interface NewImage {
  id: string;
  originalName: string;
  storedPath: string;
  format: ImageFormat;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
}

function toImage(row: Row): UploadedImage {
  return {
    id: String(row.id),
    characterId: String(row.character_id),
    originalName: String(row.original_name),
    format: row.format as ImageFormat,
    width: Number(row.width),
    height: Number(row.height),
    bytes: Number(row.bytes),
    sha256: String(row.sha256),
    createdAt: String(row.created_at),
    url: `/api/images/${row.id}/file`,
  };
}

/**
 * Records a character's uploaded screenshots, all or none (one transaction), and returns them in order.
 * The character is looked up inside the transaction: one deleted while the upload's files were being
 * written gets no rows (the caller removes the files).
 * @throws ToonloraError TL_ERR_NOT_FOUND when the character is unknown (or was deleted meanwhile)
 */
export function addImages(
  db: SqliteDatabase,
  characterId: string,
  inputs: readonly NewImage[],
): UploadedImage[] {
  const insert = db.prepare(
    `INSERT INTO images (id, character_id, original_name, stored_path, format, width, height, bytes, sha256, created_at)
     VALUES (@id, @characterId, @originalName, @storedPath, @format, @width, @height, @bytes, @sha256, @createdAt)`,
  );
  return db.transaction(() => {
    getCharacter(db, characterId);
    for (const input of inputs) insert.run({ ...input, characterId, createdAt: now() });
    return inputs.map((input) => getImage(db, input.id));
  })();
}

export function listImages(db: SqliteDatabase, characterId: string): UploadedImage[] {
  const rows = db
    .prepare('SELECT * FROM images WHERE character_id = ? AND removed_at IS NULL ORDER BY created_at, rowid')
    .all(characterId) as Row[];
  return rows.map(toImage);
}

/** @throws ToonloraError TL_ERR_NOT_FOUND when unknown or removed */
export function getImage(db: SqliteDatabase, id: string): UploadedImage {
  const row = db.prepare('SELECT * FROM images WHERE id = ? AND removed_at IS NULL').get(id) as
    | Row
    | undefined;
  if (!row) throw notFound('image', id);
  return toImage(row);
}

/**
 * Takes a screenshot off its character's list (and out of the next dataset) and returns the absolute path
 * of its file when nothing needs that any more (the caller deletes it), or null when a dataset built from
 * it shows it as an item's original (the row and file then stay for that dataset; they go with the
 * character). A queued prep job skips a removed screenshot when it starts.
 * @throws ToonloraError TL_ERR_NOT_FOUND when unknown or removed; TL_ERR_CONFLICT while a running prep
 *   job of its character reads it (its dataset will show the file as the original)
 */
export function removeImage(db: SqliteDatabase, dataDir: string, id: string): string | null {
  return db.transaction(() => {
    const image = getImage(db, id);
    const reading = (
      db
        .prepare(
          "SELECT id, params FROM jobs WHERE character_id = ? AND kind = 'prep' AND status = 'running'",
        )
        .all(image.characterId) as Row[]
    ).filter((job) => {
      const imageIds = (JSON.parse(String(job.params)) as { imageIds?: unknown }).imageIds;
      return !Array.isArray(imageIds) || imageIds.includes(id);
    });
    if (reading.length > 0) {
      // the API's words (its cancel route); the Screenshots page says its own (web/src/components/busy-delete-words.ts)
      throw new ToonloraError(
        'TL_ERR_CONFLICT',
        `image ${id} (${image.originalName}) is being read by the running prep job ${reading[0]?.id}. Remove it once that job has ended, or cancel that job (POST /api/jobs/${reading[0]?.id}/cancel).`,
        { details: { id, jobIds: reading.map((job) => String(job.id)) } },
      );
    }
    const row = db.prepare('SELECT stored_path FROM images WHERE id = ?').get(id) as Row;
    const storedPath = String(row.stored_path);
    const shown = db
      .prepare("SELECT 1 FROM dataset_items WHERE json_extract(stages, '$.original') = ? LIMIT 1")
      .get(storedPath);
    db.prepare('UPDATE images SET removed_at = ? WHERE id = ?').run(now(), id);
    return shown ? null : resolveDataPath(dataDir, storedPath);
  })();
}

/** The character's screenshot (not removed) whose file has this sha256 (hex), if any: the same bytes uploaded
 * before. */
export function findImageBySha256(
  db: SqliteDatabase,
  characterId: string,
  sha256: string,
): UploadedImage | undefined {
  const row = db
    .prepare(
      'SELECT * FROM images WHERE character_id = ? AND sha256 = ? AND removed_at IS NULL ORDER BY created_at, rowid LIMIT 1',
    )
    .get(characterId, sha256) as Row | undefined;
  return row ? toImage(row) : undefined;
}

/** Absolute path of an upload's stored file. */
export function imageFilePath(db: SqliteDatabase, dataDir: string, id: string): string {
  const row = db.prepare('SELECT stored_path FROM images WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw notFound('image', id);
  return resolveDataPath(dataDir, String(row.stored_path));
}

/** The stored path of every image row, removed screenshots included (relative to the data folder, as stored): the
 * files a start's sweep of `uploads/` must keep. */
export function allStoredImagePaths(db: SqliteDatabase): string[] {
  const rows = db.prepare('SELECT stored_path FROM images').all() as Row[];
  return rows.map((row) => String(row.stored_path));
}

// src/jobs/store.ts — queries for characters, uploaded screenshots, dataset versions and artifacts
// in the embedded SQLite store. Rows come back in the API's shapes (src/schemas/api.ts); file paths
// are stored relative to the data folder and only resolved through `resolveDataPath`.
import { randomUUID } from 'node:crypto';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { ToonloraError } from '../errors.js';
import type {
  Artifact,
  ArtifactKind,
  Character,
  CharacterCreate,
  Dataset,
  DatasetItem,
  DatasetSkipped,
  ImageFormat,
  UploadedImage,
} from '../schemas/api.js';
import { characterRelDir, jobRelDir } from './data-layout.js';
import type { SqliteDatabase } from './database.js';

type Row = Record<string, unknown>;
const now = () => new Date().toISOString();

/** Stage image paths of one dataset item, relative to the data folder (null when not kept). */
export interface DatasetItemStages {
  original: string | null;
  textRemoved: string | null;
  mask: string | null;
  crop: string | null;
}

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

export interface NewDatasetItem {
  key: string;
  source: string;
  imagePath: string;
  caption: string;
  stages: DatasetItemStages;
}

/** Joins `rel` under `dataDir`; throws TL_ERR_USAGE when the result would leave the data folder. */
export function resolveDataPath(dataDir: string, rel: string): string {
  const root = resolve(dataDir);
  const full = resolve(root, rel);
  const back = relative(root, full);
  if (back === '' || back.startsWith(`..${sep}`) || back === '..' || isAbsolute(back)) {
    throw new ToonloraError('TL_ERR_USAGE', `${rel}: path leaves the data folder; refused.`);
  }
  return full;
}

/** Where each kind of record is listed, for the not-found message. */
const LIST_ROUTES = {
  character: 'GET /api/characters',
  image: 'GET /api/characters/<characterId>/images',
  dataset: 'GET /api/characters/<characterId>/datasets',
  artifact: 'GET /api/artifacts',
} as const;

function notFound(what: keyof typeof LIST_ROUTES, id: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_NOT_FOUND',
    `${what} ${id} not found. List them with ${LIST_ROUTES[what]}.`,
    {
      details: { id },
    },
  );
}

export class CatalogStore {
  constructor(
    readonly db: SqliteDatabase,
    readonly dataDir: string,
  ) {}

  // ----- characters -----
  createCharacter(input: CharacterCreate): Character {
    const id = randomUUID();
    this.db
      .prepare('INSERT INTO characters (id, name, trigger, class_word, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(id, input.name, input.trigger, input.classWord, now());
    return this.getCharacter(id);
  }

  listCharacters(): Character[] {
    const rows = this.db.prepare(`${CHARACTER_SELECT} ORDER BY c.created_at`).all() as Row[];
    return rows.map(toCharacter);
  }

  getCharacter(id: string): Character {
    const row = this.db.prepare(`${CHARACTER_SELECT} WHERE c.id = ?`).get(id) as Row | undefined;
    if (!row) throw notFound('character', id);
    return toCharacter(row);
  }

  /**
   * Gives a character another display name (its trigger and class word stay) and returns it.
   * @throws ToonloraError TL_ERR_NOT_FOUND when unknown; TL_ERR_CONFLICT when another character has that name
   *   (compared without case: two cards called Mina and mina cannot be told apart)
   */
  renameCharacter(id: string, name: string): Character {
    return this.db.transaction(() => {
      const character = this.getCharacter(id);
      const clash = this.db
        .prepare('SELECT id, name FROM characters WHERE id <> ? AND lower(name) = lower(?) LIMIT 1')
        .get(id, name) as Row | undefined;
      if (clash) {
        throw new ToonloraError(
          'TL_ERR_CONFLICT',
          `the name ${JSON.stringify(name)} is taken by another character (${clash.name}); ${character.name} keeps its name. Choose another name.`,
          { details: { id, name, clashId: String(clash.id) } },
        );
      }
      this.db.prepare('UPDATE characters SET name = ? WHERE id = ?').run(name, id);
      return this.getCharacter(id);
    })();
  }

  /**
   * Deletes a character with its screenshots, dataset versions, jobs and artifacts (one transaction), and
   * returns the folders, relative to the data folder, that held their files: the caller removes them once
   * the rows are gone. Every file of a character lives under `characters/<id>/` or its jobs' `jobs/<id>/`.
   * @throws ToonloraError TL_ERR_NOT_FOUND when unknown; TL_ERR_CONFLICT while one of its jobs is queued
   *   or running (its worker still writes there)
   */
  deleteCharacter(id: string): string[] {
    return this.db.transaction(() => {
      const character = this.getCharacter(id);
      const active = this.db
        .prepare(
          "SELECT id, kind, status FROM jobs WHERE character_id = ? AND status IN ('queued', 'running') ORDER BY created_at",
        )
        .all(id) as Row[];
      if (active.length > 0) {
        const list = active.map((j) => `${j.kind} job ${j.id} (${j.status})`).join(', ');
        // read in the web app and by API clients alike: the button first, then the endpoint
        const cancel =
          active.length === 1
            ? `Cancel that job (the Cancel button by its status, or POST /api/jobs/${active[0]?.id}/cancel) or let it finish`
            : 'Cancel those jobs (the Cancel button by each status, or POST /api/jobs/<id>/cancel) or let them finish';
        throw new ToonloraError(
          'TL_ERR_CONFLICT',
          `character ${character.name} (${id}) has a job that is not done: ${list}. ${cancel}, then delete the character.`,
          { details: { jobIds: active.map((j) => j.id) } },
        );
      }
      const jobIds = (this.db.prepare('SELECT id FROM jobs WHERE character_id = ?').all(id) as Row[]).map(
        (j) => String(j.id),
      );
      for (const sql of [
        'DELETE FROM dataset_items WHERE dataset_id IN (SELECT id FROM datasets WHERE character_id = ?)',
        'DELETE FROM datasets WHERE character_id = ?',
        'DELETE FROM artifacts WHERE character_id = ?',
        'DELETE FROM job_events WHERE job_id IN (SELECT id FROM jobs WHERE character_id = ?)',
        'DELETE FROM jobs WHERE character_id = ?',
        'DELETE FROM images WHERE character_id = ?',
        'DELETE FROM characters WHERE id = ?',
      ]) {
        this.db.prepare(sql).run(id);
      }
      return [characterRelDir(id), ...jobIds.map(jobRelDir)];
    })();
  }

  // ----- uploaded screenshots -----
  /**
   * Records a character's uploaded screenshots, all or none (one transaction), and returns them in order.
   * The character is looked up inside the transaction: one deleted while the upload's files were being
   * written gets no rows (the caller removes the files).
   * @throws ToonloraError TL_ERR_NOT_FOUND when the character is unknown (or was deleted meanwhile)
   */
  addImages(characterId: string, inputs: readonly NewImage[]): UploadedImage[] {
    const insert = this.db.prepare(
      `INSERT INTO images (id, character_id, original_name, stored_path, format, width, height, bytes, sha256, created_at)
       VALUES (@id, @characterId, @originalName, @storedPath, @format, @width, @height, @bytes, @sha256, @createdAt)`,
    );
    return this.db.transaction(() => {
      this.getCharacter(characterId);
      for (const input of inputs) insert.run({ ...input, characterId, createdAt: now() });
      return inputs.map((input) => this.getImage(input.id));
    })();
  }

  listImages(characterId: string): UploadedImage[] {
    const rows = this.db
      .prepare(
        'SELECT * FROM images WHERE character_id = ? AND removed_at IS NULL ORDER BY created_at, rowid',
      )
      .all(characterId) as Row[];
    return rows.map(toImage);
  }

  getImage(id: string): UploadedImage {
    const row = this.db.prepare('SELECT * FROM images WHERE id = ? AND removed_at IS NULL').get(id) as
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
  removeImage(id: string): string | null {
    return this.db.transaction(() => {
      const image = this.getImage(id);
      const reading = (
        this.db
          .prepare(
            "SELECT id, params FROM jobs WHERE character_id = ? AND kind = 'prep' AND status = 'running'",
          )
          .all(image.characterId) as Row[]
      ).filter((job) => {
        const imageIds = (JSON.parse(String(job.params)) as { imageIds?: unknown }).imageIds;
        return !Array.isArray(imageIds) || imageIds.includes(id);
      });
      if (reading.length > 0) {
        throw new ToonloraError(
          'TL_ERR_CONFLICT',
          `image ${id} (${image.originalName}) is being read by the running prep job ${reading[0]?.id}. Remove it once that job has ended, or cancel that job (the Cancel button by its status, or POST /api/jobs/${reading[0]?.id}/cancel).`,
          { details: { id, jobIds: reading.map((job) => String(job.id)) } },
        );
      }
      const row = this.db.prepare('SELECT stored_path FROM images WHERE id = ?').get(id) as Row;
      const storedPath = String(row.stored_path);
      const shown = this.db
        .prepare("SELECT 1 FROM dataset_items WHERE json_extract(stages, '$.original') = ? LIMIT 1")
        .get(storedPath);
      this.db.prepare('UPDATE images SET removed_at = ? WHERE id = ?').run(now(), id);
      return shown ? null : resolveDataPath(this.dataDir, storedPath);
    })();
  }

  /** The character's screenshot (not removed) whose file has this sha256 (hex), if any: the same bytes uploaded
   * before. */
  findImageBySha256(characterId: string, sha256: string): UploadedImage | undefined {
    const row = this.db
      .prepare(
        'SELECT * FROM images WHERE character_id = ? AND sha256 = ? AND removed_at IS NULL ORDER BY created_at, rowid LIMIT 1',
      )
      .get(characterId, sha256) as Row | undefined;
    return row ? toImage(row) : undefined;
  }

  /** Absolute path of an upload's stored file. */
  imageFilePath(id: string): string {
    const row = this.db.prepare('SELECT stored_path FROM images WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw notFound('image', id);
    return resolveDataPath(this.dataDir, String(row.stored_path));
  }

  // ----- dataset versions -----
  createDataset(input: {
    characterId: string;
    jobId: string;
    dir: string;
    items: readonly NewDatasetItem[];
    skipped: readonly DatasetSkipped[];
  }): Dataset {
    const id = randomUUID();
    const insertItem = this.db.prepare(
      'INSERT INTO dataset_items (dataset_id, key, source, image_path, caption, stages) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO datasets (id, character_id, job_id, dir, skipped, created_at) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(id, input.characterId, input.jobId, input.dir, JSON.stringify(input.skipped), now());
      for (const item of input.items) {
        insertItem.run(id, item.key, item.source, item.imagePath, item.caption, JSON.stringify(item.stages));
      }
    })();
    return this.getDataset(id);
  }

  listDatasets(characterId: string): Dataset[] {
    const rows = this.db
      .prepare(`${DATASET_SELECT} WHERE d.character_id = ? ORDER BY d.created_at`)
      .all(characterId) as Row[];
    return rows.map(toDataset);
  }

  getDataset(id: string): Dataset {
    const row = this.db.prepare(`${DATASET_SELECT} WHERE d.id = ?`).get(id) as Row | undefined;
    if (!row) throw notFound('dataset', id);
    return toDataset(row);
  }

  /** Data-relative folder of a dataset version (the prep job's output). */
  datasetDir(id: string): string {
    const row = this.db.prepare('SELECT dir FROM datasets WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw notFound('dataset', id);
    return String(row.dir);
  }

  datasetSkipped(id: string): DatasetSkipped[] {
    const row = this.db.prepare('SELECT skipped FROM datasets WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw notFound('dataset', id);
    return JSON.parse(String(row.skipped)) as DatasetSkipped[];
  }

  /** Items with stage paths still data-relative; the route turns them into URLs. */
  listDatasetItems(
    datasetId: string,
  ): Array<Omit<DatasetItem, 'stages'> & { imagePath: string; stages: DatasetItemStages }> {
    const rows = this.db
      .prepare('SELECT * FROM dataset_items WHERE dataset_id = ? ORDER BY key')
      .all(datasetId) as Row[];
    return rows.map((row) => ({
      key: String(row.key),
      source: String(row.source),
      caption: String(row.caption),
      excluded: Boolean(row.excluded),
      imagePath: String(row.image_path),
      stages: JSON.parse(String(row.stages)) as DatasetItemStages,
    }));
  }

  getDatasetItem(datasetId: string, key: string) {
    const item = this.listDatasetItems(datasetId).find((candidate) => candidate.key === key);
    if (!item) {
      throw new ToonloraError(
        'TL_ERR_NOT_FOUND',
        `dataset ${datasetId}: item ${key} not found. List its items with GET /api/datasets/${datasetId}.`,
        { details: { id: datasetId, key } },
      );
    }
    return item;
  }

  /** An empty caption is stored as such: the training copy's empty `.txt` means the folder's `<trigger> <class>`. */
  updateDatasetItem(datasetId: string, key: string, patch: { caption?: string; excluded?: boolean }): void {
    const item = this.getDatasetItem(datasetId, key);
    const edited = patch.caption !== undefined && patch.caption !== item.caption;
    this.db
      .prepare(
        'UPDATE dataset_items SET caption = ?, excluded = ?, caption_edited = caption_edited OR ? WHERE dataset_id = ? AND key = ?',
      )
      .run(
        patch.caption ?? item.caption,
        (patch.excluded ?? item.excluded) ? 1 : 0,
        edited ? 1 : 0,
        datasetId,
        key,
      );
  }

  // ----- artifacts -----
  addArtifact(input: {
    characterId: string;
    jobId: string | null;
    kind: ArtifactKind;
    name: string;
    path: string;
    meta?: Record<string, unknown>;
  }): Artifact {
    const id = randomUUID();
    this.db
      .prepare(
        'INSERT INTO artifacts (id, character_id, job_id, kind, name, path, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        id,
        input.characterId,
        input.jobId,
        input.kind,
        input.name,
        input.path,
        JSON.stringify(input.meta ?? {}),
        now(),
      );
    return this.getArtifact(id);
  }

  listArtifacts(filter: { characterId?: string; kind?: ArtifactKind; jobId?: string }): Artifact[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM artifacts WHERE (@characterId IS NULL OR character_id = @characterId)
         AND (@kind IS NULL OR kind = @kind) AND (@jobId IS NULL OR job_id = @jobId) ORDER BY created_at, rowid`,
      )
      .all({
        characterId: filter.characterId ?? null,
        kind: filter.kind ?? null,
        jobId: filter.jobId ?? null,
      }) as Row[];
    return rows.map(toArtifact);
  }

  getArtifact(id: string): Artifact {
    const row = this.db.prepare('SELECT * FROM artifacts WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw notFound('artifact', id);
    return toArtifact(row);
  }

  artifactFilePath(id: string): string {
    const row = this.db.prepare('SELECT path FROM artifacts WHERE id = ?').get(id) as Row | undefined;
    if (!row) throw notFound('artifact', id);
    return resolveDataPath(this.dataDir, String(row.path));
  }
}

const CHARACTER_SELECT = `SELECT c.*,
  (SELECT COUNT(*) FROM images i WHERE i.character_id = c.id AND i.removed_at IS NULL) AS image_count,
  (SELECT COUNT(*) FROM datasets d WHERE d.character_id = c.id) AS dataset_count,
  (SELECT COUNT(*) FROM artifacts a WHERE a.character_id = c.id AND a.kind = 'lora') AS lora_count
  FROM characters c`;

const DATASET_SELECT = `SELECT d.*,
  (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id) AS item_count,
  (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id AND i.excluded = 1) AS excluded_count,
  (SELECT COUNT(*) FROM dataset_items i WHERE i.dataset_id = d.id AND i.caption_edited = 1) AS edited_count
  FROM datasets d`;

function toCharacter(row: Row): Character {
  return {
    id: String(row.id),
    name: String(row.name),
    trigger: String(row.trigger),
    classWord: String(row.class_word),
    createdAt: String(row.created_at),
    imageCount: Number(row.image_count),
    datasetCount: Number(row.dataset_count),
    loraCount: Number(row.lora_count),
  };
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

function toArtifact(row: Row): Artifact {
  return {
    id: String(row.id),
    characterId: String(row.character_id),
    jobId: row.job_id === null ? null : String(row.job_id),
    kind: row.kind as ArtifactKind,
    name: String(row.name),
    meta: JSON.parse(String(row.meta)) as Record<string, unknown>,
    createdAt: String(row.created_at),
    url: `/api/artifacts/${row.id}/file`,
  };
}

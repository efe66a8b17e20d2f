// src/jobs/catalog/artifacts.ts — the artifacts table: what jobs and uploads produced (LoRAs, generated
// images, ...), listed by character, kind or job, and where their files are stored. One LoRA row per file: a LoRA
// recorded again at a path a LoRA row holds (a resumed train job that had recorded it before it was cancelled or
// interrupted) updates that row; rows a data folder kept from before (two at one path) list as one, the newest,
// naming the others (`sameFileIds`: a generate job or an address may name one), and go together on a delete, as
// their one file does.
import { randomUUID } from 'node:crypto';
import type { Artifact, ArtifactKind } from '../../schemas/api.js';
import { resolveDataPath } from '../data-path.js';
import type { SqliteDatabase } from '../database.js';
import { notFound, now, type Row } from './rows.js';

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

/** What a new artifact is recorded with (its id and time are made here). */
export interface NewArtifact {
  characterId: string;
  jobId: string | null;
  kind: ArtifactKind;
  name: string;
  path: string;
  meta?: Record<string, unknown>;
}

/** A new artifact's row; a LoRA at a path a LoRA row already holds updates that row (its id stays, so the generate
 * jobs that name it still do) with the new name, job and facts. */
export function addArtifact(db: SqliteDatabase, input: NewArtifact): Artifact {
  return db.transaction(() => {
    const held = input.kind === 'lora' ? loraIdsAt(db, input.path)[0] : undefined;
    if (held === undefined) return insertArtifact(db, input);
    db.prepare('UPDATE artifacts SET character_id = ?, job_id = ?, name = ?, meta = ? WHERE id = ?').run(
      input.characterId,
      input.jobId,
      input.name,
      JSON.stringify(input.meta ?? {}),
      held,
    );
    return getArtifact(db, held);
  })();
}

/** The LoRA rows recorded for the file at `path`, newest first (more than one only in data kept from before). */
function loraIdsAt(db: SqliteDatabase, path: string): string[] {
  const rows = db
    .prepare("SELECT id FROM artifacts WHERE kind = 'lora' AND path = ? ORDER BY created_at DESC, rowid DESC")
    .all(path) as Row[];
  return rows.map((row) => String(row.id));
}

/** The ids of every LoRA row of the file LoRA `id` is (itself first): [id] but in data kept from before. */
export function sameFileLoraIds(db: SqliteDatabase, id: string): string[] {
  const row = db.prepare("SELECT path FROM artifacts WHERE id = ? AND kind = 'lora'").get(id) as
    | Row
    | undefined;
  if (!row) return [id];
  return [id, ...loraIdsAt(db, String(row.path)).filter((other) => other !== id)];
}

function insertArtifact(db: SqliteDatabase, input: NewArtifact): Artifact {
  const id = randomUUID();
  db.prepare(
    'INSERT INTO artifacts (id, character_id, job_id, kind, name, path, meta, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(
    id,
    input.characterId,
    input.jobId,
    input.kind,
    input.name,
    input.path,
    JSON.stringify(input.meta ?? {}),
    now(),
  );
  return getArtifact(db, id);
}

export function listArtifacts(
  db: SqliteDatabase,
  filter: { characterId?: string; kind?: ArtifactKind; jobId?: string },
): Artifact[] {
  // a LoRA file with two rows (a resumed train job recorded it again, before rows were kept one per file) lists
  // once: its newest row, whose facts are those of the run that wrote the file last
  const rows = db
    .prepare(
      `SELECT * FROM artifacts a WHERE (@characterId IS NULL OR character_id = @characterId)
       AND (@kind IS NULL OR kind = @kind) AND (@jobId IS NULL OR job_id = @jobId)
       AND NOT (kind = 'lora' AND EXISTS (SELECT 1 FROM artifacts b WHERE b.kind = 'lora' AND b.path = a.path
         AND (b.created_at > a.created_at OR (b.created_at = a.created_at AND b.rowid > a.rowid))))
       ORDER BY created_at, rowid`,
    )
    .all({
      characterId: filter.characterId ?? null,
      kind: filter.kind ?? null,
      jobId: filter.jobId ?? null,
    }) as Row[];
  const sameFile = loraIdsOfSharedPaths(db);
  return rows.map((row) => withSameFileIds(toArtifact(row), sameFile.get(String(row.path))));
}

/** The LoRA rows of each path that has more than one (data kept from before), newest first. */
function loraIdsOfSharedPaths(db: SqliteDatabase): Map<string, string[]> {
  const rows = db
    .prepare(
      `SELECT id, path FROM artifacts WHERE kind = 'lora' AND path IN
         (SELECT path FROM artifacts WHERE kind = 'lora' GROUP BY path HAVING COUNT(*) > 1)
       ORDER BY created_at DESC, rowid DESC`,
    )
    .all() as Row[];
  const byPath = new Map<string, string[]>();
  for (const row of rows) {
    const path = String(row.path);
    byPath.set(path, [...(byPath.get(path) ?? []), String(row.id)]);
  }
  return byPath;
}

/** A listed LoRA with the ids of the other rows of its file (`sameFileIds`, which the list hides), if it has any. */
function withSameFileIds(artifact: Artifact, pathIds: readonly string[] | undefined): Artifact {
  if (artifact.kind !== 'lora' || pathIds === undefined) return artifact;
  const sameFileIds = pathIds.filter((id) => id !== artifact.id);
  return sameFileIds.length > 0 ? { ...artifact, sameFileIds } : artifact;
}

/** @throws ToonloraError TL_ERR_NOT_FOUND when unknown */
export function getArtifact(db: SqliteDatabase, id: string): Artifact {
  const row = db.prepare('SELECT * FROM artifacts WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw notFound('artifact', id);
  return toArtifact(row);
}

/** Absolute path of an artifact's stored file. */
export function artifactFilePath(db: SqliteDatabase, dataDir: string, id: string): string {
  const row = db.prepare('SELECT path FROM artifacts WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw notFound('artifact', id);
  return resolveDataPath(dataDir, String(row.path));
}

/** The stored path of every artifact row (uploaded and trained LoRAs, generated images; relative to the data folder,
 * as stored): the files a start's sweep of `loras/` must keep. */
export function allStoredArtifactPaths(db: SqliteDatabase): string[] {
  const rows = db.prepare('SELECT path FROM artifacts').all() as Row[];
  return rows.map((row) => String(row.path));
}

/** Removes an artifact's row (its file is the caller's to remove), a LoRA's with every other row of its file (data
 * kept from before); the job that made it keeps its history.
 * @throws ToonloraError TL_ERR_NOT_FOUND when unknown */
export function removeArtifact(db: SqliteDatabase, id: string): void {
  db.transaction(() => {
    const ids = sameFileLoraIds(db, id);
    const remove = db.prepare('DELETE FROM artifacts WHERE id = ?');
    if (remove.run(id).changes === 0) throw notFound('artifact', id);
    for (const other of ids.slice(1)) remove.run(other);
  })();
}

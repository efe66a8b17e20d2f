// src/jobs/catalog/artifacts.ts — the artifacts table: what jobs and uploads produced (LoRAs, generated
// images, ...), listed by character, kind or job, and where their files are stored.
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

export function addArtifact(db: SqliteDatabase, input: NewArtifact): Artifact {
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
  const rows = db
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

/** Removes an artifact's row (its file is the caller's to remove); the job that made it keeps its history.
 * @throws ToonloraError TL_ERR_NOT_FOUND when unknown */
export function removeArtifact(db: SqliteDatabase, id: string): void {
  if (db.prepare('DELETE FROM artifacts WHERE id = ?').run(id).changes === 0) throw notFound('artifact', id);
}

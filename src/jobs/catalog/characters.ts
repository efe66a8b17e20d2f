// src/jobs/catalog/characters.ts — the characters table: create, list, get, rename and delete a character
// (with every row that belongs to it), in the API's Character shape.
import { randomUUID } from 'node:crypto';
import { ToonloraError } from '../../errors.js';
import type { Character, CharacterCreate } from '../../schemas/api.js';
import { characterRelDir, jobRelDir } from '../data-layout.js';
import type { SqliteDatabase } from '../database.js';
import { notFound, now, type Row } from './rows.js';

const CHARACTER_SELECT = `SELECT c.*,
  (SELECT COUNT(*) FROM images i WHERE i.character_id = c.id AND i.removed_at IS NULL) AS image_count,
  (SELECT COUNT(*) FROM datasets d WHERE d.character_id = c.id) AS dataset_count,
  (SELECT COUNT(*) FROM artifacts a WHERE a.character_id = c.id AND a.kind = 'lora') AS lora_count
  FROM characters c`;

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

/**
 * The character, other than `exceptId`, that already has `name`, compared without case (two cards called Mina
 * and mina cannot be told apart); the one rule for a new character's name and a rename's.
 */
function characterNamed(db: SqliteDatabase, name: string, exceptId: string | null): Row | undefined {
  return db
    .prepare(
      'SELECT id, name FROM characters WHERE (? IS NULL OR id <> ?) AND lower(name) = lower(?) ORDER BY created_at LIMIT 1',
    )
    .get(exceptId, exceptId, name) as Row | undefined;
}

/**
 * Refuses `name` when another character than `exceptId` has it.
 * @param keeps what happens instead, said after the clash (e.g. "Sora keeps its name")
 * @throws ToonloraError TL_ERR_CONFLICT naming the character that has the name
 */
function assertNameFree(db: SqliteDatabase, name: string, exceptId: string | null, keeps: string): void {
  const clash = characterNamed(db, name, exceptId);
  if (!clash) return;
  throw new ToonloraError(
    'TL_ERR_CONFLICT',
    `the name ${JSON.stringify(name)} is taken by another character (${clash.name}); ${keeps}. Choose another name.`,
    { details: { ...(exceptId === null ? {} : { id: exceptId }), name, clashId: String(clash.id) } },
  );
}

/**
 * Records a new character and returns it.
 * @throws ToonloraError TL_ERR_CONFLICT when another character has that name (in any case)
 */
export function createCharacter(db: SqliteDatabase, input: CharacterCreate): Character {
  const id = randomUUID();
  db.transaction(() => {
    assertNameFree(db, input.name, null, 'no character was created');
    db.prepare(
      'INSERT INTO characters (id, name, trigger, class_word, created_at) VALUES (?, ?, ?, ?, ?)',
    ).run(id, input.name, input.trigger, input.classWord, now());
  })();
  return getCharacter(db, id);
}

export function listCharacters(db: SqliteDatabase): Character[] {
  const rows = db.prepare(`${CHARACTER_SELECT} ORDER BY c.created_at`).all() as Row[];
  return rows.map(toCharacter);
}

/** @throws ToonloraError TL_ERR_NOT_FOUND when unknown */
export function getCharacter(db: SqliteDatabase, id: string): Character {
  const row = db.prepare(`${CHARACTER_SELECT} WHERE c.id = ?`).get(id) as Row | undefined;
  if (!row) throw notFound('character', id);
  return toCharacter(row);
}

/**
 * Gives a character another display name (its trigger and class word stay) and returns it.
 * @throws ToonloraError TL_ERR_NOT_FOUND when unknown; TL_ERR_CONFLICT when another character has that name
 *   (compared without case: two cards called Mina and mina cannot be told apart)
 */
export function renameCharacter(db: SqliteDatabase, id: string, name: string): Character {
  return db.transaction(() => {
    const character = getCharacter(db, id);
    assertNameFree(db, name, id, `${character.name} keeps its name`);
    db.prepare('UPDATE characters SET name = ? WHERE id = ?').run(name, id);
    return getCharacter(db, id);
  })();
}

/**
 * Deletes a character with its screenshots, dataset versions, jobs and artifacts (one transaction), and
 * returns the folders, relative to the data folder, that held their files: the caller removes them once
 * the rows are gone. Every file of a character lives under `characters/<id>/` or its jobs' `jobs/<id>/`.
 * @throws ToonloraError TL_ERR_NOT_FOUND when unknown; TL_ERR_CONFLICT while one of its jobs is queued
 *   or running (its worker still writes there)
 */
export function deleteCharacter(db: SqliteDatabase, id: string): string[] {
  return db.transaction(() => {
    const character = getCharacter(db, id);
    const active = db
      .prepare(
        "SELECT id, kind, status FROM jobs WHERE character_id = ? AND status IN ('queued', 'running') ORDER BY created_at",
      )
      .all(id) as Row[];
    if (active.length > 0) {
      const list = active.map((j) => `${j.kind} job ${j.id} (${j.status})`).join(', ');
      // the API's words (its cancel route); the web app's, from details.jobs: web/src/components/busy-delete-words.ts
      const cancel =
        active.length === 1
          ? `Cancel it (POST /api/jobs/${active[0]?.id}/cancel) or let it finish`
          : 'Cancel them (POST /api/jobs/<id>/cancel, each) or let them finish';
      throw new ToonloraError(
        'TL_ERR_CONFLICT',
        `character ${character.name} (${id}) has a job that is not done: ${list}. ${cancel}, then delete the character.`,
        {
          details: {
            jobIds: active.map((j) => j.id),
            jobs: active.map((j) => ({ id: j.id, kind: j.kind, status: j.status })),
          },
        },
      );
    }
    const jobIds = (db.prepare('SELECT id FROM jobs WHERE character_id = ?').all(id) as Row[]).map((j) =>
      String(j.id),
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
      db.prepare(sql).run(id);
    }
    return [characterRelDir(id), ...jobIds.map(jobRelDir)];
  })();
}

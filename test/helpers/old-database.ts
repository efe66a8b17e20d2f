// test/helpers/old-database.ts — a database file as an older toonlora left it: only its first migrations applied,
// its schema number set to match, one character in it. For the tests of opening (and so upgrading) such a database,
// directly (src/jobs/database-upgrade.test.ts) or through a server start (test/server-start-upgrade-deleted.test.ts).
import Database from 'better-sqlite3';
import { MIGRATIONS } from '../../src/jobs/migrations.js';

/**
 * A WAL database at `path` as a toonlora knowing only the first `schema` migrations left it, holding character `c1`
 * (Mina); `filler` rows of about 1 KB each in a table of their own make it that much larger.
 */
export function oldDatabase(path: string, schema: number, filler = 0): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const sql of MIGRATIONS.slice(0, schema)) db.exec(sql);
  db.pragma(`user_version = ${schema}`);
  db.prepare('INSERT INTO characters (id, name, trigger, class_word, created_at) VALUES (?, ?, ?, ?, ?)').run(
    'c1',
    'Mina',
    'mina_tl',
    'girl',
    '2026-12-06T00:00:00.000Z',
  );
  if (filler > 0) {
    db.exec('CREATE TABLE filler (x TEXT)');
    const insert = db.prepare('INSERT INTO filler VALUES (?)');
    for (let i = 0; i < filler; i++) insert.run(`row ${i} `.padEnd(1000, 'x'));
  }
  db.close();
}

// test/server-start-orphan-uploads.test.ts — a server killed mid-upload (kill -9) leaves the files it had written
// under a character's uploads/ (each with its `.uploading` mark) but never recorded; the next start removes them and
// their marks, saying how much it freed, and nothing else: not a recorded screenshot (removed ones included, marked
// or not), not an unmarked file no row points to (an upload a replaced database forgot), not a file newer than the
// start, not a file outside uploads/, nor what a link there points at. A real upload leaves no mark.
import { existsSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CatalogStore } from '../src/jobs/catalog-store.js';
import { DATABASE_FILE } from '../src/jobs/data-layout.js';
import { openDatabase } from '../src/jobs/database.js';
import { uploadMarkPath } from '../src/jobs/upload-leftovers.js';
import { buildApp } from '../src/server/app.js';
import {
  multipartBody,
  solidPng,
  stderrOfStartAndClose,
  tempDataDir,
  tempModelCache,
} from './helpers/server-fixtures.js';

/** Writes `bytes` bytes at `path` (making its folder), last written an hour before now, or after it (`later`:
 * as a file an upload of this server writes after its start). */
function put(path: string, bytes: number, later = false): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, Buffer.alloc(bytes, 7));
  const at = new Date(Date.now() + (later ? 3_600_000 : -3_600_000));
  utimesSync(path, at, at);
  return path;
}

/** What a killed upload leaves: the file and its mark, both written before the start. */
function putMarked(path: string, bytes: number): string {
  put(uploadMarkPath(path), 0);
  return put(path, bytes);
}

describe('a start after a server was killed mid-upload', () => {
  it('removes the upload files no screenshot points to and says what it freed', async () => {
    const dataDir = tempDataDir('orphan-uploads');
    const db = openDatabase(join(dataDir, DATABASE_FILE));
    const catalog = new CatalogStore(db, dataDir);
    const mina = catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
    const rin = catalog.createCharacter({ name: 'Rin', trigger: 'rin_tl', classWord: 'girl' });
    const uploads = (id: string) => join(dataDir, 'characters', id, 'uploads');
    const recorded = (characterId: string, id: string) => {
      const storedPath = `characters/${characterId}/uploads/${id}.png`;
      put(join(dataDir, storedPath), 100);
      catalog.addImages(characterId, [
        {
          id,
          originalName: `${id}.png`,
          storedPath,
          format: 'png',
          width: 1,
          height: 1,
          bytes: 100,
          sha256: id.repeat(64),
        },
      ]);
      return join(dataDir, storedPath);
    };
    const kept = [recorded(mina.id, 'a'), recorded(mina.id, 'b')];
    catalog.removeImage('b'); // a removed screenshot keeps its file for the datasets built from it
    const orphans = [
      putMarked(join(uploads(mina.id), 'c.png'), 4000),
      putMarked(join(uploads(mina.id), 'd.png'), 6000),
      putMarked(join(uploads(rin.id), 'e.jpg'), 2000),
    ];
    const marks = orphans.map(uploadMarkPath);
    put(uploadMarkPath(kept[0] as string), 0); // killed after recording, before removing its mark
    marks.push(uploadMarkPath(kept[0] as string));
    kept.push(put(join(uploads(mina.id), 'forgotten.png'), 300)); // no mark: an upload the database forgot
    db.close();
    kept.push(put(join(uploads(rin.id), 'writing-now.png'), 50, true)); // newer than the start: not ours
    kept.push(put(join(dataDir, 'characters', mina.id, 'notes.txt'), 10)); // outside uploads/
    const outside = put(join(tempDataDir('orphan-uploads-outside'), 'mine.png'), 10);
    symlinkSync(outside, join(uploads(rin.id), 'link.png'));
    kept.push(outside);

    const written = await stderrOfStartAndClose(dataDir);
    for (const path of [...orphans, ...marks]) expect(existsSync(path)).toBe(false);
    for (const path of kept) expect(existsSync(path)).toBe(true);
    expect(existsSync(join(uploads(rin.id), 'link.png'))).toBe(true);
    expect(written).toEqual([
      "toonlora serve: removed 3 uploaded files no screenshot points to (left by a server stopped mid-upload) from 2 characters' uploads/ (12.0 kB freed)\n",
    ]);
  });

  it('an upload leaves no mark beside its files', async () => {
    const dataDir = tempDataDir('orphan-uploads-marks');
    const app = await buildApp({
      dataDir,
      modelCache: tempModelCache(dataDir),
      webDir: '/nonexistent',
      runners: {},
    });
    try {
      const mina = app.catalog.createCharacter({ name: 'Mina', trigger: 'mina_tl', classWord: 'girl' });
      const body = multipartBody([{ filename: 'a.png', data: await solidPng() }]);
      const res = await app.inject({ method: 'POST', url: `/api/characters/${mina.id}/images`, ...body });
      expect(res.statusCode).toBe(201);
      const [image] = app.catalog.listImages(mina.id);
      expect(readdirSync(join(dataDir, 'characters', mina.id, 'uploads'))).toEqual([`${image?.id}.png`]);
    } finally {
      await app.close();
    }
  });
});

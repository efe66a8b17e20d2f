// src/jobs/migrations.ts — the numbered SQLite schema migrations of the embedded store. Append only:
// a shipped migration is never edited; `PRAGMA user_version` records how many have run.

/** Migration N (1-based) is MIGRATIONS[N - 1]; each runs once, inside a transaction. */
export const MIGRATIONS: readonly string[] = [
  // 1: characters, their uploads, dataset versions, jobs with an ordered event log, artifacts.
  `
  CREATE TABLE characters (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    trigger TEXT NOT NULL,
    class_word TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE images (
    id TEXT PRIMARY KEY,
    character_id TEXT NOT NULL REFERENCES characters(id),
    original_name TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    format TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX images_by_character ON images(character_id);
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    character_id TEXT NOT NULL REFERENCES characters(id),
    status TEXT NOT NULL,
    params TEXT NOT NULL,
    progress TEXT,
    result TEXT,
    error TEXT,
    checkpoint TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT
  );
  CREATE INDEX jobs_by_status ON jobs(status, created_at);
  CREATE TABLE job_events (
    job_id TEXT NOT NULL REFERENCES jobs(id),
    seq INTEGER NOT NULL,
    at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
  );
  CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    character_id TEXT NOT NULL REFERENCES characters(id),
    job_id TEXT NOT NULL REFERENCES jobs(id),
    dir TEXT NOT NULL,
    skipped TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE dataset_items (
    dataset_id TEXT NOT NULL REFERENCES datasets(id),
    key TEXT NOT NULL,
    source TEXT NOT NULL,
    image_path TEXT NOT NULL,
    caption TEXT NOT NULL,
    excluded INTEGER NOT NULL DEFAULT 0,
    stages TEXT NOT NULL,
    PRIMARY KEY (dataset_id, key)
  );
  CREATE TABLE artifacts (
    id TEXT PRIMARY KEY,
    character_id TEXT NOT NULL REFERENCES characters(id),
    job_id TEXT REFERENCES jobs(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    path TEXT NOT NULL,
    meta TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE INDEX artifacts_by_character ON artifacts(character_id, kind);
  `,
  // 2: a screenshot the user removed leaves the character's list; its row and file stay for the datasets
  // already built from it (their review shows it as the original).
  `
  ALTER TABLE images ADD COLUMN removed_at TEXT;
  `,
  // 3: a caption the user edited is marked, so the web app can warn that a rebuilt dataset starts from
  // fresh captions (the old version keeps its edits).
  `
  ALTER TABLE dataset_items ADD COLUMN caption_edited INTEGER NOT NULL DEFAULT 0;
  `,
  // 4: a crop's quality warnings from prep's manifest (JSON array of strings), shown in the dataset review;
  // items stored before have none.
  `
  ALTER TABLE dataset_items ADD COLUMN warnings TEXT NOT NULL DEFAULT '[]';
  `,
  // 5: which remote worker (`toonlora worker`) holds which attempt of a train job (`serve --remote-workers`):
  // one lease per attempt, so two workers claiming at once never get the same job.
  `
  CREATE TABLE IF NOT EXISTS job_leases (
    lease_id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    attempt INTEGER NOT NULL,
    worker TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    UNIQUE (job_id, attempt)
  );
  `,
  // 6: the webtoon strip panel a dataset item's crop was cut from (JSON `{ index, box }`, NULL when its file was
  // analysed whole, and for items stored before): the review shows that panel's region of the stage images.
  `
  ALTER TABLE dataset_items ADD COLUMN panel TEXT;
  `,
  // 7: the folders a character's delete moved aside (`characters/.deleted-<id>-<ms>`, `jobs/.deleted-…`, relative
  // to the data folder), written in the rows' delete transaction: a start removes only folders listed here, so a
  // new, emptied or older toonlora.db put in place later never costs a deleted character's files (deleted-folders.ts).
  `
  CREATE TABLE deleted_folders (
    path TEXT PRIMARY KEY,
    deleted_at TEXT NOT NULL
  );
  `,
];

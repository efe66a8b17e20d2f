// src/jobs/catalog/rows.ts — what the catalog's entity modules share: the raw row type, the timestamp they
// record, and the not-found error that says where to list each kind of record.
import { ToonloraError } from '../../errors.js';

/** One SQLite row as better-sqlite3 returns it. */
export type Row = Record<string, unknown>;

/** The timestamp a new row records (ISO 8601, UTC). */
export const now = (): string => new Date().toISOString();

/** Where each kind of record is listed, for the not-found message. */
const LIST_ROUTES = {
  character: 'GET /api/characters',
  image: 'GET /api/characters/<characterId>/images',
  dataset: 'GET /api/characters/<characterId>/datasets',
  artifact: 'GET /api/artifacts',
} as const;

/** TL_ERR_NOT_FOUND naming the record and the route that lists its kind. */
export function notFound(what: keyof typeof LIST_ROUTES, id: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_NOT_FOUND',
    `${what} ${id} not found. List them with ${LIST_ROUTES[what]}.`,
    {
      details: { id },
    },
  );
}

// web/src/components/hub-bases.ts — the bases a Hub repo's card on the Models page names (pure): `owner/name` for
// main, `owner/name@REV` for each other ref pulled; a repo pulled only at a tag read "base owner/name" before,
// and one pulled only at tags (not main) is "at v2 only" (GET /api/models: state missing; it showed "missing").
import type { ModelRow } from '../../../src/schemas/models-api.js';

/**
 * The base names a Hub row stands for, main's first (`owner/name`, then `owner/name@v1.0`, ...): `revisions` lists
 * every ref pulled when one is not main (GET /api/models); absent, main alone was pulled.
 */
export function hubBaseNames(row: Pick<ModelRow, 'id' | 'revisions'>): string[] {
  const refs = row.revisions && row.revisions.length > 0 ? row.revisions : ['main'];
  const ordered = refs.includes('main') ? ['main', ...refs.filter((ref) => ref !== 'main')] : refs;
  return ordered.map((ref) => (ref === 'main' ? row.id : `${row.id}@${ref}`));
}

/** The command that pulls base `name` (`owner/name` or `owner/name@REV`) on the server. */
export function hubPullCommand(name: string): string {
  const at = name.indexOf('@');
  return at < 0
    ? `toonlora models pull ${name}`
    : `toonlora models pull ${name.slice(0, at)} --revision ${name.slice(at + 1)}`;
}

/**
 * The refs a Hub repo is on the server at when main is not one of them (pulled only at `v2`), else undefined: the
 * API lists it `missing` (its bare id, main, is not there) with `revisions`; the page shows it "at v2 only".
 */
export function hubOnlyAt(row: Partial<Pick<ModelRow, 'origin' | 'revisions'>>): string[] | undefined {
  const refs = row.revisions;
  return row.origin === 'hub' && refs !== undefined && refs.length > 0 && !refs.includes('main')
    ? refs
    : undefined;
}

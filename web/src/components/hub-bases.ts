// web/src/components/hub-bases.ts — the bases a Hub repo's card on the Models page names (pure): `owner/name` for
// main, `owner/name@REV` for each other ref pulled; a repo pulled only at a tag read "base owner/name" before.
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

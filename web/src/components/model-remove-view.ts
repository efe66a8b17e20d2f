// web/src/components/model-remove-view.ts — the Models page's Remove button (pure): whether a row has anything on
// the server's disk to remove (DELETE /api/models/:id, as `toonlora models rm`), the confirmation naming the size,
// and the line said once it is removed.
import { formatBytes } from '../../../src/format-bytes.js';
import type { ModelRemoved, ModelRow } from '../../../src/schemas/models-api.js';
import { hubOnlyAt } from './hub-bases.js';

type RemoveRow = Pick<ModelRow, 'id' | 'state' | 'sizeBytes' | 'downloadedBytes' | 'source' | 'origin'> &
  Partial<Pick<ModelRow, 'revisions' | 'broken'>>;

/**
 * The question the Remove button asks, naming what goes and its size, or null when the row has nothing to remove
 * (missing, or an npm-packaged model, which ships with toonlora).
 */
export function removeQuestion(row: RemoveRow): string | null {
  if (row.source.startsWith('npm:')) return null;
  const onlyAt = hubOnlyAt(row);
  if (row.state === 'missing' && onlyAt === undefined) return null;
  const size =
    row.state === 'partial'
      ? row.downloadedBytes > 0
        ? `the ${formatBytes(row.downloadedBytes)} a stopped pull left`
        : 'its files there'
      : `${row.origin === 'registry' ? 'about ' : ''}${formatBytes(row.sizeBytes)}`;
  const refs = row.revisions ?? [];
  const every = refs.length > 1 ? ` (every revision: ${refs.join(', ')})` : '';
  return `Remove ${row.id}${every} from the server's disk? This frees ${size}; a pull fetches it again.`;
}

/** What the page says once a model is removed: `lama removed: 208 MB freed.` */
export function removedText(removed: ModelRemoved): string {
  return `${removed.id} removed: ${formatBytes(removed.freedBytes)} freed.`;
}

// src/server/routes/datasets/caption-version.ts — an item caption's version for optimistic concurrency: the
// item's GET gives it, a caption PATCH may send it back, and a caption changed since is refused (409), so a
// second tab's save does not silently overwrite the first one's edit.
import { createHash } from 'node:crypto';
import { ToonloraError } from '../../../errors.js';

/** Opaque to clients: derived from the caption's text, so it changes exactly when the caption does. */
export function captionVersion(caption: string): string {
  return createHash('sha256').update(caption, 'utf8').digest('hex').slice(0, 16);
}

/**
 * @throws ToonloraError TL_ERR_CONFLICT when the client edited from `patch.captionVersion` and the caption is now
 * another one (details: the current `caption` and `captionVersion`). A save of the text the caption already holds,
 * or one without a version (older clients, scripts), goes through.
 */
export function checkCaptionVersion(
  where: { datasetId: string; key: string },
  current: string,
  patch: { caption?: string; captionVersion?: string },
): void {
  if (patch.caption === undefined || patch.captionVersion === undefined) return;
  if (patch.caption === current || patch.captionVersion === captionVersion(current)) return;
  throw new ToonloraError(
    'TL_ERR_CONFLICT',
    `dataset ${where.datasetId} item ${where.key}: the caption was changed since you read it (now ${JSON.stringify(current)}); read the item again (GET /api/datasets/${where.datasetId}) and send its captionVersion, or leave captionVersion out to overwrite it.`,
    {
      details: {
        id: where.datasetId,
        key: where.key,
        caption: current,
        captionVersion: captionVersion(current),
      },
    },
  );
}

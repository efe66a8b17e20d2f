// web/src/components/prep-skipped.tsx — the Upload page's word on what a finished prep skipped: the built
// version's skipped list read (GET /api/datasets/:id), grouped by why (prep-skipped-words.ts), an empty version's
// advice, and a link to the Dataset page's skipped list whenever anything was skipped.
import { useEffect, useState } from 'react';
import { api } from '../api.js';
import { emptyVersionAdvice, type SkippedEntry, skippedLines } from './prep-skipped-words.js';

export function PrepSkipped({
  characterId,
  datasetId,
  itemCount,
}: {
  characterId: string;
  datasetId: string;
  itemCount: number;
}) {
  /** null until read (or when the read failed: the empty version's sentence still shows). */
  const [skipped, setSkipped] = useState<SkippedEntry[] | null>(null);
  useEffect(() => {
    let live = true;
    setSkipped(null);
    api.dataset(datasetId).then(
      (detail) => live && setSkipped(detail.skipped),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [datasetId]);
  return <PrepSkippedView characterId={characterId} itemCount={itemCount} skipped={skipped} />;
}

/** The words and the link, from the skipped list once read (null: not yet, or not readable). */
export function PrepSkippedView({
  characterId,
  itemCount,
  skipped,
}: {
  characterId: string;
  itemCount: number;
  skipped: readonly SkippedEntry[] | null;
}) {
  const empty = itemCount === 0;
  if (!empty && !skipped?.length) return null;
  const advice = empty && skipped ? emptyVersionAdvice(skipped) : null;
  return (
    <div className={empty ? 'field-warning' : 'small'} data-testid={empty ? 'no-crops' : 'prep-skipped'}>
      {empty && <p>No crop was kept, so the new dataset version is empty and cannot be trained.</p>}
      {skipped && skipped.length > 0 && (
        <ul>
          {skippedLines(skipped).map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {advice && <p>{advice}</p>}
      {skipped && skipped.length > 0 && (
        <a href={`#/c/${characterId}/dataset`} data-testid="skipped-link">
          See each skipped file and its reason on the Dataset page →
        </a>
      )}
    </div>
  );
}

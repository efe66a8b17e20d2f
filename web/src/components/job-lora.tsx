// web/src/components/job-lora.tsx — what a succeeded train job's page offers for the LoRA it made: a link to the
// LoRA page showing that LoRA (`#/c/<id>/lora/<loraId>`, not the character's newest) while it is still on the
// server, or, once it was deleted (DELETE /api/loras/:id), those words instead of a link that would lead to another
// LoRA or a "not found". A tab left open reads the list again when the user comes back to it (a LoRA deleted in
// another tab meanwhile: the words, not a stale link).
import { useEffect, useState } from 'react';
import type { Artifact } from '../../../src/schemas/api.js';
import { api } from '../api.js';
import { loraPageHref, rememberLoras } from './lora-address.js';
import { type TabReturnTargets, watchTabReturn } from './tab-return.js';

/** The words shown in place of the link once the job's LoRA was deleted. */
export const JOB_LORA_DELETED = 'The LoRA this job made was deleted.';

/**
 * 'present' when one of `loras` (the job's LoRA artifacts) was made by `jobId`, 'deleted' when none was,
 * 'unknown' until the list was read (or when it could not be).
 */
export function jobLoraState(
  loras: readonly Artifact[] | null,
  jobId: string,
): 'present' | 'deleted' | 'unknown' {
  if (loras === null) return 'unknown';
  return loras.some((lora) => lora.kind === 'lora' && lora.jobId === jobId) ? 'present' : 'deleted';
}

/** The id of the LoRA `jobId` made among `loras` (the newest such, should there be several), else null. */
export function jobLoraId(loras: readonly Artifact[] | null, jobId: string): string | null {
  return loras?.findLast((lora) => lora.kind === 'lora' && lora.jobId === jobId)?.id ?? null;
}

/**
 * Reads a job's LoRAs now and again each time the user comes back to the tab, giving each list to `show` (a failed
 * read keeps what was shown: the LoRA page says what is there); none after the returned stop.
 */
export function followJobLoras(
  targets: TabReturnTargets,
  read: () => Promise<Artifact[]>,
  show: (loras: Artifact[]) => void,
): () => void {
  let current = true;
  const load = () =>
    void read().then(
      (list) => current && show(list),
      () => {},
    );
  load();
  const stop = watchTabReturn(targets, load);
  return () => {
    current = false;
    stop();
  };
}

/**
 * The link to the LoRA page showing the LoRA `jobId` made, or the words that it was deleted; `resultLoraId` (the
 * job's result names its LoRA) is linked to until the list was read.
 */
export function JobLoraLink({
  characterId,
  jobId,
  resultLoraId,
}: {
  characterId: string;
  jobId: string;
  resultLoraId?: string | null;
}) {
  const [loras, setLoras] = useState<Artifact[] | null>(null);
  useEffect(() => {
    setLoras(null);
    // the server named it as this job's LoRA: an address naming it once it is gone names a deleted LoRA
    if (resultLoraId) rememberLoras([{ id: resultLoraId }]);
    return followJobLoras(
      { window, document },
      () => api.artifacts({ characterId, kind: 'lora', jobId }).then(rememberLoras),
      setLoras,
    );
  }, [characterId, jobId, resultLoraId]);
  return (
    <JobLoraLinkView
      characterId={characterId}
      state={jobLoraState(loras, jobId)}
      loraId={jobLoraId(loras, jobId) ?? resultLoraId ?? null}
    />
  );
}

/** The link to `loraId` (null: the LoRA page as it opens), or the words once the LoRA was deleted (no link then:
 * it would not lead to it). */
export function JobLoraLinkView({
  characterId,
  state,
  loraId,
}: {
  characterId: string;
  state: ReturnType<typeof jobLoraState>;
  loraId: string | null;
}) {
  if (state === 'deleted')
    return (
      <span className="muted" data-testid="job-lora-deleted">
        {JOB_LORA_DELETED}
      </span>
    );
  return <a href={loraPageHref(characterId, loraId)}>Open the LoRA →</a>;
}

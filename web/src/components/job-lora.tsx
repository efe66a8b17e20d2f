// web/src/components/job-lora.tsx — what a succeeded train job's page offers for the LoRA it made: a link to the
// LoRA page while that LoRA is still on the server, or, once it was deleted (DELETE /api/loras/:id), those words
// instead of a link that would lead to another LoRA or a "not found".
import { useEffect, useState } from 'react';
import type { Artifact } from '../../../src/schemas/api.js';
import { api } from '../api.js';

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

/** The link to the LoRA page for the LoRA `jobId` made, or the words that it was deleted. */
export function JobLoraLink({ characterId, jobId }: { characterId: string; jobId: string }) {
  const [loras, setLoras] = useState<Artifact[] | null>(null);
  useEffect(() => {
    let current = true;
    setLoras(null);
    // a failed read keeps the link (the LoRA page says what is there)
    api.artifacts({ characterId, kind: 'lora', jobId }).then(
      (list) => current && setLoras(list),
      () => {},
    );
    return () => {
      current = false;
    };
  }, [characterId, jobId]);
  return <JobLoraLinkView characterId={characterId} state={jobLoraState(loras, jobId)} />;
}

/** The link, or the words once the LoRA was deleted (no link then: it would not lead to it). */
export function JobLoraLinkView({
  characterId,
  state,
}: {
  characterId: string;
  state: ReturnType<typeof jobLoraState>;
}) {
  if (state === 'deleted')
    return (
      <span className="muted" data-testid="job-lora-deleted">
        {JOB_LORA_DELETED}
      </span>
    );
  return <a href={`#/c/${characterId}/lora`}>Open the LoRA →</a>;
}

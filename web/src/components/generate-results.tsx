// web/src/components/generate-results.tsx — the Generate page's Results panel (split out of pages/generate.tsx): the
// shown job's live status and, while it is queued or running, its Cancel; once it stopped, its timing, images (each
// with its Delete) and "Delete this batch" (naming its images and sweep grids); then the character's earlier generations (generated-images.tsx; the
// deletes: use-generate-deletes.ts).
import { isFinalStatus } from '../../../src/jobs/job-state.js';
import type { Artifact, GenerationTiming, Job } from '../../../src/schemas/api.js';
import { CancelButton } from './cancel-button.js';
import { EarlierImages, GenerationTimingLine, ImageGrid } from './generated-images.js';
import { JobDeleteButton } from './job-delete-button.js';
import { JobStatusLine } from './job-status.js';
import type { JobView } from './job-view.js';
import type { JobOutputs } from './job-outputs.js';
import type { GenerateDeletes } from './use-generate-deletes.js';

export function GenerateResults({
  job,
  view,
  status,
  outputs,
  earlier,
  onCancel,
  onError,
  deletes,
}: {
  /** The job the page shows (the one sent, or the reopened one), else null. */
  job: Job | null;
  view: JobView;
  /** The job's status as last heard (its event stream's, else the job's own). */
  status: Job['status'] | undefined;
  /** The shown job's images and count of sweep grids, read once it stopped ("Delete this batch" names both); null
   * until then. */
  outputs: JobOutputs | null;
  earlier: Artifact[];
  /** false when the cancel request failed (CancelButton offers it again). */
  onCancel: () => Promise<boolean>;
  onError: (error: unknown) => void;
  deletes: GenerateDeletes;
}) {
  const timing = job?.result?.timing as GenerationTiming | undefined;
  const imageDeletes = { onDelete: deletes.removeImage, deleting: deletes.deleting };
  return (
    <div className="panel">
      <h3>Results</h3>
      {job && <JobStatusLine view={view} />}
      {job && (status === 'running' || status === 'queued') && (
        <CancelButton key={job.id} onCancel={onCancel} />
      )}
      {timing && <GenerationTimingLine timing={timing} />}
      <ImageGrid images={outputs?.images ?? []} onError={onError} {...imageDeletes} />
      {job && status && isFinalStatus(status) && outputs && (
        <JobDeleteButton
          label="Delete this batch"
          testId="delete-batch"
          busy={deletes.batchBusy}
          onDelete={() => deletes.removeBatch(job.id, outputs.images.length, outputs.gridCount)}
        />
      )}
      <EarlierImages images={earlier} onError={onError} {...imageDeletes} />
    </div>
  );
}

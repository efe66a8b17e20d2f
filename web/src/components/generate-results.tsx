// web/src/components/generate-results.tsx — the Generate page's Results panel (split out of pages/generate.tsx): the
// shown job's live status and, while it is queued or running, its Cancel; once it stopped, its timing and images;
// then the character's earlier generations (generated-images.tsx).
import type { Artifact, GenerationTiming, Job } from '../../../src/schemas/api.js';
import { CancelButton } from './cancel-button.js';
import { EarlierImages, GenerationTimingLine, ImageGrid } from './generated-images.js';
import { JobStatusLine } from './job-status.js';
import type { JobView } from './job-view.js';

export function GenerateResults({
  job,
  view,
  status,
  images,
  earlier,
  onCancel,
  onError,
}: {
  /** The job the page shows (the one sent, or the reopened one), else null. */
  job: Job | null;
  view: JobView;
  /** The job's status as last heard (its event stream's, else the job's own). */
  status: Job['status'] | undefined;
  images: Artifact[];
  earlier: Artifact[];
  /** false when the cancel request failed (CancelButton offers it again). */
  onCancel: () => Promise<boolean>;
  onError: (error: unknown) => void;
}) {
  const timing = job?.result?.timing as GenerationTiming | undefined;
  return (
    <div className="panel">
      <h3>Results</h3>
      {job && <JobStatusLine view={view} />}
      {job && (status === 'running' || status === 'queued') && (
        <CancelButton key={job.id} onCancel={onCancel} />
      )}
      {timing && <GenerationTimingLine timing={timing} />}
      <ImageGrid images={images} onError={onError} />
      <EarlierImages images={earlier} onError={onError} />
    </div>
  );
}

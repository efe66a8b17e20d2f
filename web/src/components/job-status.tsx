// web/src/components/job-status.tsx — a job's status line: status badge, step / total, loss, it/s, ETA
// (live figures only while the job runs, see job-view.ts's jobFigures), the status message (a final
// status' error), under it the job's warnings, and the stream messages the page could not read. It is a
// polite live region (status changes, a final summary, a lost connection are announced); the step figures
// that change every step are not (aria-live off). Before the first loss it names the worker's current stage,
// and while the event stream is down it says the connection was lost (the badge then says the status is
// unknown, and no speed or ETA is shown). A queued job says what it waits for now. A failure's "Models page"
// links to it (linked-text.tsx), as does a running prep's stage line (its stage choice in the web app's words). A train job of remote GPU workers (`remote`, remote-job.ts) says which worker
// runs it, or shows waiting while none has claimed it, and says when that worker went silent (after a cancel: when
// its lease runs out and the job ends).
import { readableServerMessage } from './error-text.js';
import {
  currentStage,
  DISCONNECTED_TEXT,
  finalSummary,
  jobFigures,
  statusBadge,
  statusMessage,
} from './job-view.js';
import { LinkedText } from './linked-text.js';
import { remoteJobLine } from './remote-job.js';
import type { JobView } from './use-job.js';
import type { JobRemote } from '../../../src/schemas/api.js';

function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

/** `summaryWarning`: the final summary reads as a warning (a prep that made no crop). `remote`: a running job's
 * remote worker (GET /api/jobs/:id), null when it runs here. */
export function JobStatusLine({
  view,
  summaryWarning = false,
  remote = null,
}: {
  view: JobView;
  summaryWarning?: boolean;
  remote?: JobRemote | null;
}) {
  const f = jobFigures(view);
  const summary = finalSummary(view);
  const onWorker = view.status === 'running' && !view.disconnected ? remoteJobLine(remote) : null;
  const stage = onWorker?.badge ? null : currentStage(view); // its "waiting for a GPU worker…" is the line below
  const message = statusMessage(view);
  const seen = statusBadge(view);
  const badge = onWorker?.badge
    ? { text: onWorker.badge, title: 'running on the server; no GPU worker has claimed it yet' }
    : seen;
  return (
    <div className="job-status" role="status" aria-live="polite">
      <span
        className={`badge ${badge.text === '…' ? 'none' : badge.text}`}
        data-testid="job-status"
        title={badge.title}
      >
        {badge.text}
      </span>
      {f && (
        <span className="figures" data-testid="job-figures" aria-live="off">
          step <b data-testid="job-step">{f.step}</b> / {f.total}
          {f.loss !== null && <> · loss {f.loss.toFixed(4)}</>}
          {f.itPerS !== null && <> · {f.itPerS.toFixed(2)} it/s</>}
          {view.status === 'running' && !view.disconnected && <> · ETA {formatEta(f.etaS)}</>}
          {f.message && <> · {f.message}</>}
        </span>
      )}
      {onWorker && (
        <span className="figures" data-testid="job-worker">
          {onWorker.text}
        </span>
      )}
      {onWorker?.warning && (
        <span className="message field-warning" data-testid="job-worker-silent">
          {onWorker.warning}
        </span>
      )}
      {stage && (
        <span className="figures" data-testid="job-stage">
          <LinkedText text={stage} />…
        </span>
      )}
      {view.disconnected && (
        <span className="message field-warning" data-testid="job-disconnected">
          {DISCONNECTED_TEXT}
        </span>
      )}
      {summary && (
        <span className={summaryWarning ? 'message field-warning' : 'figures'} data-testid="job-summary">
          {summary}
        </span>
      )}
      {message && (
        <span className="message" data-testid="job-message">
          <LinkedText text={readableServerMessage(message)} />
        </span>
      )}
      {view.warnings.length > 0 && (
        <ul className="job-warnings" data-testid="job-warnings">
          {view.warnings.map((warning, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the list only grows, in order
            <li key={i}>{warning}</li>
          ))}
        </ul>
      )}
      {view.unreadable.length > 0 && (
        <ul className="job-unreadable" data-testid="job-unreadable">
          {view.unreadable.map((problem, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the list only grows, in order
            <li key={i}>{problem}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

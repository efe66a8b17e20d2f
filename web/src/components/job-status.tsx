// web/src/components/job-status.tsx — a job's status line: status badge, step / total, loss, it/s, ETA,
// and under it the job's warnings.
import type { JobView } from './use-job.js';

function formatEta(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${s}s`;
}

export function JobStatusLine({ view }: { view: JobView }) {
  const p = view.progress;
  return (
    <div className="job-status">
      <span className={`badge ${view.status ?? 'none'}`} data-testid="job-status">
        {view.status ?? '…'}
      </span>
      {p && (
        <span className="figures">
          step <b data-testid="job-step">{p.step}</b> / {p.total}
          {typeof p.loss === 'number' && <> · loss {p.loss.toFixed(4)}</>}
          {typeof p.itPerS === 'number' && <> · {p.itPerS.toFixed(2)} it/s</>} · ETA {formatEta(p.etaS)}
          {p.message && <> · {p.message}</>}
        </span>
      )}
      {view.message && <span className="message">{view.message}</span>}
      {view.warnings.length > 0 && (
        <ul className="job-warnings" data-testid="job-warnings">
          {view.warnings.map((warning, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the list only grows, in order
            <li key={i}>{warning}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

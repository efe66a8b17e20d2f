// web/src/components/loss-chart.tsx — the training loss as a plain SVG line (raw points + a moving
// average), x = step, y = loss; y labels from loss-ticks.ts, none (and a placeholder: waiting, or no loss
// recorded once the job ended without one) before the first loss.
import type { JobStatus } from '../../../src/schemas/api.js';
import { lossTicks } from './loss-ticks.js';

export interface LossPoint {
  step: number;
  loss: number;
}

const WIDTH = 560;
const HEIGHT = 200;
const PAD = 36;
/** Room for a y label of up to ~8 characters (0.00123, 1.2e-4) at the tick font size. */
const PAD_LEFT = 56;

function movingAverage(points: readonly LossPoint[], window: number): LossPoint[] {
  return points.map((point, index) => {
    const slice = points.slice(Math.max(0, index - window + 1), index + 1);
    return { step: point.step, loss: slice.reduce((sum, p) => sum + p.loss, 0) / slice.length };
  });
}

/** What the empty chart says: waiting while the job may still log a loss, else that it ended without one. */
export function noLossText(status: JobStatus | null): string {
  switch (status) {
    case 'failed':
      return 'no loss recorded — the job failed before its first step';
    case 'cancelled':
      return 'no loss recorded — the job was cancelled before its first step';
    case 'interrupted':
      return 'no loss recorded — the job stopped before its first step';
    case 'succeeded':
      return 'no loss recorded';
    default:
      return 'waiting for the first loss…';
  }
}

/**
 * The label at the x axis's end: the last step it spans (the job's step count, or a later logged step) once a
 * loss is drawn; before any, how far the job got of its steps ("step 0 of 3000"), not a bare "step 3000" that
 * reads as a step the job reached (a job cancelled before its first step).
 */
export function axisEndLabel(points: readonly LossPoint[], totalSteps: number): string {
  if (points.length === 0) return totalSteps > 0 ? `step 0 of ${totalSteps}` : 'step 0';
  return `step ${Math.max(totalSteps, ...points.map((p) => p.step), 1)}`;
}

export function LossChart({
  points,
  totalSteps,
  status,
}: {
  points: readonly LossPoint[];
  totalSteps: number;
  /** The job's status: the placeholder before the first loss depends on it. */
  status: JobStatus | null;
}) {
  const maxStep = Math.max(totalSteps, ...points.map((p) => p.step), 1);
  const losses = points.map((p) => p.loss);
  const maxLoss = Math.max(...losses, 1e-6);
  const minLoss = Math.min(...losses, maxLoss);
  const span = maxLoss - minLoss || maxLoss || 1;
  const top = PAD / 2;
  const bottom = HEIGHT - PAD;
  const x = (step: number) => PAD_LEFT + (step / maxStep) * (WIDTH - PAD_LEFT - PAD / 2);
  const y = (loss: number) => bottom - ((loss - minLoss) / span) * (bottom - top - PAD / 4);
  const path = (series: readonly LossPoint[]) =>
    series.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ');
  const smooth = movingAverage(points, 10);
  return (
    <svg
      className="loss-chart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label="training loss"
      data-points={points.length}
    >
      <line x1={PAD_LEFT} y1={bottom} x2={WIDTH - PAD / 2} y2={bottom} className="axis" />
      <line x1={PAD_LEFT} y1={top} x2={PAD_LEFT} y2={bottom} className="axis" />
      {lossTicks(losses).map((tick) => (
        <text
          key={tick.label}
          x={PAD_LEFT - 4}
          y={Math.min(Math.max(y(tick.value) + 3, top + 8), bottom)}
          textAnchor="end"
          className="tick"
          data-testid="loss-tick"
        >
          {tick.label}
        </text>
      ))}
      <text x={WIDTH - PAD / 2} y={bottom + 16} textAnchor="end" className="tick" data-testid="chart-steps">
        {axisEndLabel(points, totalSteps)}
      </text>
      {points.length > 0 && <path d={path(points)} className="raw" />}
      {points.length > 1 && <path d={path(smooth)} className="smooth" />}
      {points.length === 0 && (
        <text x={(PAD_LEFT + WIDTH) / 2} y={HEIGHT / 2} textAnchor="middle" className="tick">
          {noLossText(status)}
        </text>
      )}
    </svg>
  );
}

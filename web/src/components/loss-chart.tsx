// web/src/components/loss-chart.tsx — the training loss as a plain SVG line (raw points + a moving
// average), x = step, y = loss.
export interface LossPoint {
  step: number;
  loss: number;
}

const WIDTH = 560;
const HEIGHT = 200;
const PAD = 36;

function movingAverage(points: readonly LossPoint[], window: number): LossPoint[] {
  return points.map((point, index) => {
    const slice = points.slice(Math.max(0, index - window + 1), index + 1);
    return { step: point.step, loss: slice.reduce((sum, p) => sum + p.loss, 0) / slice.length };
  });
}

export function LossChart({ points, totalSteps }: { points: readonly LossPoint[]; totalSteps: number }) {
  const maxStep = Math.max(totalSteps, ...points.map((p) => p.step), 1);
  const losses = points.map((p) => p.loss);
  const maxLoss = Math.max(...losses, 1e-6);
  const minLoss = Math.min(...losses, maxLoss);
  const span = maxLoss - minLoss || maxLoss || 1;
  const x = (step: number) => PAD + (step / maxStep) * (WIDTH - PAD * 1.5);
  const y = (loss: number) => HEIGHT - PAD + -((loss - minLoss) / span) * (HEIGHT - PAD * 1.6);
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
      <line x1={PAD} y1={HEIGHT - PAD} x2={WIDTH - PAD / 2} y2={HEIGHT - PAD} className="axis" />
      <line x1={PAD} y1={PAD / 2} x2={PAD} y2={HEIGHT - PAD} className="axis" />
      <text x={PAD - 4} y={PAD / 2 + 8} textAnchor="end" className="tick">
        {maxLoss.toPrecision(3)}
      </text>
      <text x={PAD - 4} y={HEIGHT - PAD} textAnchor="end" className="tick">
        {minLoss.toPrecision(3)}
      </text>
      <text x={WIDTH - PAD / 2} y={HEIGHT - PAD + 16} textAnchor="end" className="tick">
        step {maxStep}
      </text>
      {points.length > 0 && <path d={path(points)} className="raw" />}
      {points.length > 1 && <path d={path(smooth)} className="smooth" />}
      {points.length === 0 && (
        <text x={WIDTH / 2} y={HEIGHT / 2} textAnchor="middle" className="tick">
          waiting for the first step…
        </text>
      )}
    </svg>
  );
}

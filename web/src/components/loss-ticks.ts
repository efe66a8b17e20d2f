// web/src/components/loss-ticks.ts — the loss chart's y-axis labels (pure): short enough to fit the
// chart's left margin (3 significant digits, trailing zeros dropped, exponent form for tiny or huge
// losses), and none before the first loss.

/** A loss as a short label: 0.0711, 0.15, 1.23, 1.2e-4. */
export function formatLossTick(value: number): string {
  if (!Number.isFinite(value)) return '';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs < 1e-3 || abs >= 1e4) return value.toExponential(1);
  return String(Number(value.toPrecision(3)));
}

/** The y-axis labels, top first: max and min of the losses (one label when they read the same), none without a loss. */
export function lossTicks(losses: readonly number[]): Array<{ value: number; label: string }> {
  if (losses.length === 0) return [];
  const max = Math.max(...losses);
  const min = Math.min(...losses);
  const top = { value: max, label: formatLossTick(max) };
  const bottom = { value: min, label: formatLossTick(min) };
  return top.label === bottom.label ? [top] : [top, bottom];
}

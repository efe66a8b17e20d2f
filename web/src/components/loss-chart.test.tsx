// web/src/components/loss-chart.test.tsx — the empty loss chart (rendered to markup): waiting while the job
// may still log a loss, "no loss recorded" once it ended without one (a failed job said "waiting…" under "failed"),
// and an axis that names no step the job never reached.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { axisEndLabel, LossChart } from './loss-chart.js';

const emptyChart = (status: Parameters<typeof LossChart>[0]['status']) =>
  renderToStaticMarkup(<LossChart points={[]} totalSteps={100} status={status} />);

describe('LossChart without a loss', () => {
  it('waits for the first loss while the job is queued or running', () => {
    expect(emptyChart('running')).toContain('waiting for the first loss…');
    expect(emptyChart('queued')).toContain('waiting for the first loss…');
    expect(emptyChart(null)).toContain('waiting for the first loss…');
  });
  it('says no loss was recorded once the job ended without one', () => {
    expect(emptyChart('failed')).toContain('no loss recorded — the job failed before its first step');
    expect(emptyChart('failed')).not.toContain('waiting');
    expect(emptyChart('cancelled')).toContain(
      'no loss recorded — the job was cancelled before its first step',
    );
    expect(emptyChart('interrupted')).toContain('no loss recorded — the job stopped before its first step');
  });
  it('says nothing of it once there is a loss', () => {
    const html = renderToStaticMarkup(
      <LossChart points={[{ step: 1, loss: 0.2 }]} totalSteps={10} status="failed" />,
    );
    expect(html).not.toContain('no loss recorded');
  });
  it('does not label the axis with a step the job never reached', () => {
    // before, a job cancelled before its first step read "cancelled | step 3000 | no loss recorded — ..."
    const cancelled = renderToStaticMarkup(<LossChart points={[]} totalSteps={3000} status="cancelled" />);
    expect(cancelled).toContain('>step 0 of 3000</text>');
    expect(cancelled).not.toContain('>step 3000<');
    expect(axisEndLabel([], 0)).toBe('step 0');
    // with a loss drawn, the axis ends at the job's step count (or a later logged step)
    expect(axisEndLabel([{ step: 5, loss: 0.1 }], 3000)).toBe('step 3000');
    expect(axisEndLabel([{ step: 12, loss: 0.1 }], 10)).toBe('step 12');
  });
});

// web/src/components/remote-job.test.tsx — the status line of a train job run by a remote GPU worker (rendered
// to markup): waiting for a worker shows as waiting (no CLI command on the page), a claimed job names its worker,
// and a worker silent after a cancel says when its lease runs out and the job ends.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { JobStatusLine } from './job-status.js';
import { EMPTY_JOB_VIEW, jobViewAfter } from './job-view.js';
import { nextRemoteTickMs, remoteAsOf, remoteJobLine } from './remote-job.js';

let running = jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' });
running = jobViewAfter(running, {
  type: 'log',
  level: 'info',
  message: 'waiting for a GPU worker to claim this job',
});

describe('a remote train job on the Train page', () => {
  it('shows waiting while no worker holds it, not running', () => {
    const remote = { worker: null, silentMs: null, leaseEndsInMs: null, stopAsked: false };
    const html = renderToStaticMarkup(<JobStatusLine view={running} remote={remote} />);
    expect(html).toMatch(/data-testid="job-status"[^>]*>waiting</);
    expect(html).toContain('waiting for a GPU worker');
    expect(html).not.toMatch(/toonlora worker|--server/);
    expect(html.match(/waiting for a GPU worker/g)).toHaveLength(1);
  });

  it('names the worker that runs it', () => {
    let view = jobViewAfter(running, { type: 'progress', progress: { step: 5, total: 3000, loss: 0.2 } });
    view = jobViewAfter(view, { type: 'status', status: 'running' });
    const remote = { worker: 'gpu-a', silentMs: 400, leaseEndsInMs: 59_600, stopAsked: false };
    const html = renderToStaticMarkup(<JobStatusLine view={view} remote={remote} />);
    expect(html).toMatch(/data-testid="job-status"[^>]*>running</);
    expect(html).toContain('<span class="figures" data-testid="job-worker">on worker gpu-a</span>');
    expect(html).not.toContain('job-worker-silent');
  });

  it('says when a silent worker loses the job: after a cancel, and while it runs', () => {
    expect(
      remoteJobLine({ worker: 'gpu-a', silentMs: 12_300, leaseEndsInMs: 47_700, stopAsked: true })?.warning,
    ).toBe('the worker has not answered for 12 s; the job ends when its lease runs out in 48 s');
    expect(
      remoteJobLine({ worker: 'gpu-a', silentMs: 20_000, leaseEndsInMs: 40_000, stopAsked: false })?.warning,
    ).toBe(
      'the worker has not reported for 20 s; the job is interrupted (resumable) if it stays silent 40 s more',
    );
    const html = renderToStaticMarkup(
      <JobStatusLine
        view={running}
        remote={{ worker: 'gpu-a', silentMs: 12_300, leaseEndsInMs: 47_700, stopAsked: true }}
      />,
    );
    expect(html).toContain('the job ends when its lease runs out in 48 s');
    // a job run here has no worker line
    expect(renderToStaticMarkup(<JobStatusLine view={running} />)).not.toContain('job-worker');
  });
});

describe('a remote job counted on from its last `remote` event (no request)', () => {
  const claimed = { worker: 'gpu-a', silentMs: 300, leaseEndsInMs: 59_700, stopAsked: false };
  it('adds the time since the event to the silence and takes it from the lease', () => {
    expect(remoteAsOf(claimed, 6_000)).toEqual({ ...claimed, silentMs: 6_300, leaseEndsInMs: 53_700 });
    expect(remoteAsOf(claimed, 90_000).leaseEndsInMs).toBe(0);
    const waiting = { worker: null, silentMs: null, leaseEndsInMs: null, stopAsked: false };
    expect(remoteAsOf(waiting, 5_000)).toEqual(waiting);
    expect(remoteJobLine(remoteAsOf(claimed, 12_000))?.warning).toBe(
      'the worker has not reported for 12 s; the job is interrupted (resumable) if it stays silent 48 s more',
    );
  });
  it('re-renders when the silence reaches the warning, then each second, and never while nothing can change', () => {
    expect(nextRemoteTickMs(claimed, 0)).toBe(4_700);
    expect(nextRemoteTickMs(claimed, 4_700)).toBe(1_000);
    expect(nextRemoteTickMs(claimed, 59_700)).toBeNull(); // the lease ran out: the status event comes next
    expect(
      nextRemoteTickMs({ worker: null, silentMs: null, leaseEndsInMs: null, stopAsked: false }, 0),
    ).toBeNull();
  });
});

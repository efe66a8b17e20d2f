// web/src/components/job-status.test.tsx — what the status line, a number field and a Cancel button put in
// the page (rendered to markup): a polite live region whose step figures are not announced, the worker's
// stage before the first loss, a lost connection (no frozen running, speed or ETA), an invalid field
// pointing at the form's error.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { webReason } from '../../../src/jobs/web-stage-words.js';
import { CancelButton } from './cancel-button.js';
import { tokenPromptText } from './error-text.js';
import { JobStatusLine } from './job-status.js';
import { EMPTY_JOB_VIEW, jobViewAfter } from './job-view.js';
import { NumberInput } from './number-input.js';

describe('JobStatusLine', () => {
  it('is a polite live region; the figures that change every step are not announced', () => {
    let view = jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' });
    view = jobViewAfter(view, { type: 'progress', progress: { step: 2, total: 10, loss: 0.5 } });
    const html = renderToStaticMarkup(<JobStatusLine view={view} />);
    expect(html).toMatch(/^<div class="job-status" role="status" aria-live="polite">/);
    expect(html).toContain('data-testid="job-figures" aria-live="off"');
  });
  it("links a failure's Models page to #/models (the fix the server words for the web app)", () => {
    const view = jobViewAfter(EMPTY_JOB_VIEW, {
      type: 'status',
      status: 'failed',
      message: 'isnet-anime is not downloaded on the server: pull it on the Models page.',
    });
    expect(renderToStaticMarkup(<JobStatusLine view={view} />)).toContain(
      '<span class="message" data-testid="job-message">isnet-anime is not downloaded on the server: pull it on the <a href="#/models">Models page</a>.</span>',
    );
  });
  it("names the worker's stage before the first loss", () => {
    let view = jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' });
    view = jobViewAfter(view, { type: 'log', level: 'info', message: 'loading base model' });
    expect(renderToStaticMarkup(<JobStatusLine view={view} />)).toContain(
      '<span class="figures" data-testid="job-stage">loading base model…</span>',
    );
  });
  it("links the Models page a running prep's stage choice names (as a finished prep's Stages used does)", () => {
    const announced = webReason([
      'captioner none: auto: no captioner weights downloaded; ',
      { kind: 'pull-model', id: 'wd-vit-tagger-v3' },
      ' adds tags',
    ]);
    let view = jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' });
    view = jobViewAfter(view, { type: 'log', level: 'info', message: announced });
    expect(renderToStaticMarkup(<JobStatusLine view={view} />)).toContain(
      '<span class="figures" data-testid="job-stage">captioner none: auto: no captioner weights downloaded; pulling wd-vit-tagger-v3 on the <a href="#/models">Models page</a> adds tags…</span>',
    );
  });
  it('says the connection is lost while the stream is down', () => {
    const view = {
      ...jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' }),
      disconnected: true,
    };
    expect(renderToStaticMarkup(<JobStatusLine view={view} />)).toContain(
      'connection to the server lost, retrying…',
    );
    expect(renderToStaticMarkup(<JobStatusLine view={{ ...view, disconnected: false }} />)).not.toContain(
      'connection to the server lost',
    );
  });
  it('shows no frozen "running", speed or ETA while the stream is down', () => {
    let view = jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' });
    view = jobViewAfter(view, {
      type: 'progress',
      progress: { step: 4, total: 10, loss: 0.5, itPerS: 1.5, etaS: 4 },
    });
    const live = renderToStaticMarkup(<JobStatusLine view={view} />);
    expect(live).toContain('data-testid="job-status">running</span>');
    expect(live).toContain('ETA 4s');
    const down = renderToStaticMarkup(<JobStatusLine view={{ ...view, disconnected: true }} />);
    expect(down).toContain('data-testid="job-status" title="last seen running">unknown</span>');
    expect(down).toContain('step <b data-testid="job-step">4</b> / 10');
    expect(down).not.toContain('it/s');
    expect(down).not.toContain('ETA');
    // a final status stays: nothing more comes for it
    const ended = jobViewAfter(view, { type: 'status', status: 'succeeded' });
    expect(renderToStaticMarkup(<JobStatusLine view={{ ...ended, disconnected: true }} />)).toContain(
      'data-testid="job-status">succeeded</span>',
    );
  });
});

describe('NumberInput', () => {
  const spec = { label: 'Steps', schema: z.number().int().min(1) };
  it('marks a refused field aria-invalid, described by the form error', () => {
    const html = renderToStaticMarkup(
      <NumberInput name="steps" spec={spec} value="0" invalid onChange={() => {}} />,
    );
    expect(html).toContain('aria-invalid="true"');
    expect(html).toContain('aria-describedby="form-error"');
    const fine = renderToStaticMarkup(<NumberInput name="steps" spec={spec} value="3" onChange={() => {}} />);
    expect(fine).not.toContain('aria-invalid');
  });
});

describe('CancelButton and the token prompt', () => {
  it('starts enabled with its label', () => {
    const html = renderToStaticMarkup(<CancelButton label="Cancel the build" onCancel={async () => true} />);
    expect(html).toContain('>Cancel the build</button>');
    expect(html).not.toContain('disabled=""');
  });
  it('says a refused token is not right', () => {
    expect(tokenPromptText('')).toBe('This server needs its token (TOONLORA_TOKEN):');
    expect(tokenPromptText('wrong')).toMatch(/^That token is not right/);
  });
});

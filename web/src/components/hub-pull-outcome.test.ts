// The Hub pull form's outcome line and the pull-attempt rows (model-pull-view.ts): a pull typed into the form
// says how it goes beside the form (it showed ~2800 px down only), and a refused or failed Hub repo can be dismissed.
import { describe, expect, it } from 'vitest';
import type { ModelPull } from '../../../src/schemas/models-api.js';
import { hubAttemptFacts } from '../../../src/server/routes/models/pulls.js';
import { startedPull } from './model-pull-testing.js';
import { attemptButtonLabel, hubPullOutcome, listedRows } from './model-pull-view.js';

const PULL = startedPull('someone/missing-repo', { message: 'checking the repo' });
const FAILED: ModelPull = {
  ...PULL,
  status: 'failed',
  error: { code: 'TL_ERR_MODEL_NOT_FOUND', message: 'someone/missing-repo: not on the Hub (404)' },
};

describe('hubPullOutcome', () => {
  it('says the pull started, then how it ended, naming the repo', () => {
    expect(hubPullOutcome('someone/missing-repo', null, null)).toEqual({
      text: 'Pulling someone/missing-repo…',
      detail: null,
      warn: false,
      active: true,
      succeeded: false,
    });
    expect(hubPullOutcome('someone/missing-repo', PULL, null)).toMatchObject({
      text: 'Pulling someone/missing-repo…',
      detail: 'checking the repo',
    });
    expect(hubPullOutcome('someone/missing-repo', FAILED, null)).toEqual({
      text: 'someone/missing-repo: not on the Hub (404)',
      detail: null,
      warn: true,
      active: false,
      succeeded: false,
    });
    expect(hubPullOutcome('a/b', { ...PULL, status: 'succeeded', filesDone: 0 }, null)).toMatchObject({
      text: 'a/b: Pulled: every file was already on disk.',
      succeeded: true,
    });
    expect(hubPullOutcome('a/b', null, 'too many pulls')).toMatchObject({
      text: 'a/b: too many pulls',
      warn: true,
    });
  });
});

describe('pull attempts', () => {
  it('offer Retry once stopped, and hide once dismissed until the repo is pulled again', () => {
    expect(attemptButtonLabel(FAILED)).toBe('Retry');
    expect(attemptButtonLabel(PULL)).toBe(null);
    const rows = [
      { id: 'lama', pullAttempt: undefined },
      { id: 'someone/missing-repo', pullAttempt: true },
    ];
    const dismissed = { 'someone/missing-repo': FAILED.startedAt };
    expect(listedRows(rows, () => FAILED, dismissed).map((r) => r.id)).toEqual(['lama']);
    expect(listedRows(rows, () => FAILED, {}).map((r) => r.id)).toEqual(['lama', 'someone/missing-repo']);
    const again = { ...FAILED, startedAt: '2026-12-06T21:00:00.000Z' };
    expect(listedRows(rows, () => again, dismissed)).toHaveLength(2);
  });

  it('are described by their pull, never as an SD1.5 base (a refused SDXL repo read "SD1.5 base … for --base")', () => {
    expect(hubAttemptFacts('x/sdxl', { status: 'failed' }).description).toBe(
      'Hub repo x/sdxl: its pull was refused or failed (the reason is below); it is not a base on this server',
    );
    expect(hubAttemptFacts('x/y', { status: 'cancelled' }).description).not.toMatch(/^SD1\.5 base/);
    expect(hubAttemptFacts('x/y', { status: 'running' }).description).toMatch(/^Hub repo x\/y, being pulled/);
  });
});

// test/server-prep-older-reasons.test.ts — a prep job stored before stage reasons had parts (its result's `stages`
// carry only the CLI's `reason`): the Upload page's Stages used and its no-tags warning show a plain fallback where
// that reason names a CLI command, and an older reason that names none as it was. Before, they showed "run
// `toonlora models pull isnet-anime`", a step a web user cannot take.
import { describe, expect, it } from 'vitest';
import { cliWordsIn } from '../src/jobs/job-error-hints.js';
import { OLDER_REASON_FALLBACK } from '../src/jobs/web-stage-words.js';
import { prepCaptionWarning, prepStageChoices } from '../web/src/components/job-view.js';
import { seedUploads } from './helpers/server-fixtures.js';
import { appsClosedAfterEach } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('prep-older-reasons');

/** A prep result as a server before `reasonParts` stored it: the manifest's stage choices, reasons in CLI words. */
const OLDER_RESULT = {
  datasetId: null,
  stages: {
    segmenter: {
      name: 'classic',
      reason: 'auto: isnet-anime is not downloaded (run `toonlora models pull isnet-anime` for better masks)',
    },
    textRemover: { name: 'opencv-telea', reason: 'auto: lama is not downloaded (toonlora models pull lama)' },
    captioner: { name: 'none', reason: 'auto: no captioner downloaded; or --captioner wd14' },
    personDetector: {
      name: 'anime-person-detector',
      reason: 'auto: the person detector is in the model cache',
    },
  },
};

describe('a prep job stored before stage reasons had parts', () => {
  it('shows a plain fallback for a reason in CLI words, and a plain older reason as it was', async () => {
    const app = await makeApp({ runners: { prep: async () => OLDER_RESULT } });
    const { characterId } = await seedUploads(app);
    const res = await app.inject({
      method: 'POST',
      url: '/api/jobs',
      payload: { kind: 'prep', characterId },
    });
    expect(res.statusCode).toBe(201);
    await app.queue.whenIdle();
    const job = (await app.inject({ method: 'GET', url: `/api/jobs/${res.json().id}` })).json();
    expect(job.status).toBe('succeeded');
    expect(job.result.stages.segmenter.reasonParts).toBeUndefined(); // stored as the older server did
    const choices = prepStageChoices(job.result);
    expect(choices.map(({ stage, reason }) => [stage, reason])).toEqual([
      ['character cut-out', OLDER_REASON_FALLBACK],
      ['text removal', OLDER_REASON_FALLBACK],
      ['captions', OLDER_REASON_FALLBACK],
      ['character detector', 'auto: the person detector is in the model cache'],
    ]);
    const warning = prepCaptionWarning(job.result);
    expect(warning).toContain(`(${OLDER_REASON_FALLBACK})`);
    expect([...choices.map((choice) => choice.reason), warning ?? ''].flatMap(cliWordsIn)).toEqual([]);
  }, 30_000);
});

import { describe, expect, it } from 'vitest';
import type { JobStatus } from '../../../src/schemas/api.js';
import {
  activeJobOf,
  jobToReopen,
  EMPTY_JOB_VIEW,
  finalSummary,
  jobFigures,
  jobViewAfter,
  jobViewAfterUnreadable,
  resumeLabel,
  cancelButtonLabel,
  currentStage,
  DISCONNECTED_TEXT,
  jobToFollow,
  jobViewAfterConnection,
  prepCaptionWarning,
  prepStageChoices,
} from './job-view.js';
import {
  AUTO_WEIGHTS_CACHED,
  CAPTIONER_NOT_DOWNLOADED,
  PERSON_DETECTOR_CACHED,
  SEGMENTER_NOT_DOWNLOADED,
  TEXT_DETECTOR_SHIPPED,
} from '../../../src/prep/auto-stage-reasons.js';
import { OLDER_REASON_FALLBACK } from '../../../src/jobs/web-stage-words.js';
import { cliReason, type StageReason, stageChoice } from '../../../src/stage-reason.js';

describe('jobViewAfter', () => {
  it('keeps the distinct warn log lines in order and leaves info and debug lines out', () => {
    let view = EMPTY_JOB_VIEW;
    view = jobViewAfter(view, { type: 'log', level: 'info', message: 'LoRA: 128 modules' });
    view = jobViewAfter(view, { type: 'log', level: 'warn', message: 'a.png: cannot read image; left out' });
    view = jobViewAfter(view, { type: 'log', message: 'stored before levels were kept' });
    view = jobViewAfter(view, { type: 'log', level: 'debug', message: 'detail' });
    view = jobViewAfter(view, { type: 'log', level: 'warn', message: 'compile: trains eager' });
    view = jobViewAfter(view, { type: 'log', level: 'warn', message: 'a.png: cannot read image; left out' }); // resumed
    expect(view.warnings).toEqual(['a.png: cannot read image; left out', 'compile: trains eager']);
    expect(EMPTY_JOB_VIEW.warnings).toEqual([]);
  });

  it('replaces the loss points from a resumed step on, and keeps status and samples', () => {
    const progress = (step: number, loss: number | null) =>
      ({ type: 'progress', progress: { step, total: 10, loss } }) as const;
    let view = jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' });
    for (const [step, loss] of [
      [1, 0.5],
      [2, 0.4],
      [3, 0.3],
    ] as const)
      view = jobViewAfter(view, progress(step, loss));
    view = jobViewAfter(view, { type: 'sample', step: 2, artifactIds: ['s1'], urls: ['/a.png'] });
    view = jobViewAfter(view, progress(2, 0.45)); // resumed from the step-1 checkpoint
    view = jobViewAfter(view, progress(3, null));
    expect(view.losses).toEqual([
      { step: 1, loss: 0.5 },
      { step: 2, loss: 0.45 },
    ]);
    expect(view.progress?.step).toBe(3);
    expect(view.status).toBe('running');
    expect(view.samples).toEqual([{ step: 2, url: '/a.png', index: 0, count: 1 }]);
  });
});

describe('jobFigures', () => {
  const progress = {
    step: 3,
    total: 10,
    loss: 0.25,
    itPerS: 0.75,
    etaS: 41,
    message: 'waiting for the generation worker',
  };
  const running = { ...EMPTY_JOB_VIEW, status: 'running' as const, progress };

  it('shows it/s, ETA and the progress message only while the job runs', () => {
    expect(jobFigures(running)).toEqual({
      step: 3,
      total: 10,
      loss: 0.25,
      itPerS: 0.75,
      etaS: 41,
      message: progress.message,
    });
    expect(jobFigures({ ...running, status: 'queued' })).toEqual({
      step: 3,
      total: 10,
      loss: 0.25,
      itPerS: null,
      etaS: null,
      message: null,
    });
    expect(jobFigures({ ...running, progress: null })).toBeNull();
  });

  it('shows no figures once the job is final (its status and message say it)', () => {
    for (const status of ['succeeded', 'failed', 'cancelled', 'interrupted'] as const)
      expect(jobFigures({ ...running, status, message: 'the server stopped while this job ran' })).toBeNull();
  });
});

describe('resumeLabel', () => {
  it('offers the checkpoint a cancelled run reported, though the job object from the cancel call had none', () => {
    // POST /cancel answers with the job as it was (running, no checkpoint yet); the stream then reports
    // the checkpoint the run wrote and its final status
    let view = jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' });
    expect(resumeLabel(null, view)).toBe('Start again');
    view = jobViewAfter(view, { type: 'checkpoint', step: 22, path: 'jobs/j1/run/checkpoints/step-000022' });
    view = jobViewAfter(view, { type: 'status', status: 'cancelled', message: 'cancelled by the user' });
    expect(view.checkpoint).toBe('jobs/j1/run/checkpoints/step-000022');
    expect(resumeLabel(null, view)).toBe('Resume from checkpoint');
    // after a reload, the job object has it before any event arrives
    expect(resumeLabel('jobs/j1/run/checkpoints/step-000022', EMPTY_JOB_VIEW)).toBe('Resume from checkpoint');
  });
});

describe('finalSummary', () => {
  it("keeps a succeeded job's last progress message and where a stopped job stopped", () => {
    let view = jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' });
    view = jobViewAfter(view, {
      type: 'progress',
      progress: { step: 2, total: 2, message: '0 crops from 2 screenshots (0 ok, 2 skipped, 0 failed)' },
    });
    expect(finalSummary(view)).toBeNull(); // running: the status line shows it
    expect(finalSummary(jobViewAfter(view, { type: 'status', status: 'succeeded' }))).toBe(
      '0 crops from 2 screenshots (0 ok, 2 skipped, 0 failed)',
    );
    let train = jobViewAfter(EMPTY_JOB_VIEW, { type: 'progress', progress: { step: 120, total: 400 } });
    train = jobViewAfter(train, { type: 'checkpoint', step: 100, path: 'jobs/j/run/checkpoint-100' });
    train = jobViewAfter(train, { type: 'status', status: 'cancelled' });
    expect(finalSummary(train)).toBe('stopped at step 120 / 400 · checkpoint at step 100');
  });
});

describe('activeJobOf', () => {
  it('follows the queued or running job a second tab started', () => {
    const jobs = [{ status: 'succeeded' }, { status: 'running' }] as const;
    expect(activeJobOf(jobs)).toBe(jobs[1]);
    expect(activeJobOf([{ status: 'failed' as const }])).toBeNull();
  });
});

describe('jobToReopen', () => {
  it('reopens the resumed running job, not the newer cancelled one', () => {
    const jobs = [
      { id: 'newer', status: 'cancelled' },
      { id: 'resumed', status: 'running' },
    ] as const;
    expect(jobToReopen(jobs)?.id).toBe('resumed');
    expect(jobToReopen([{ id: 'a', status: 'queued' as const }, ...jobs])?.id).toBe('a');
  });
  it('reopens the newest job when none runs, and nothing when there is none', () => {
    const jobs = [
      { id: 'b', status: 'failed' },
      { id: 'a', status: 'succeeded' },
    ] as const;
    expect(jobToReopen(jobs)?.id).toBe('b');
    expect(jobToReopen([])).toBeNull();
  });
});

describe('jobViewAfterUnreadable', () => {
  it('keeps each distinct problem once, in order, beside what the readable events showed', () => {
    let view = jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' });
    view = jobViewAfterUnreadable(view, 'a "progress" event cannot be read');
    view = jobViewAfterUnreadable(view, 'a "log" event cannot be read');
    view = jobViewAfterUnreadable(view, 'a "progress" event cannot be read');
    expect(view.unreadable).toEqual(['a "progress" event cannot be read', 'a "log" event cannot be read']);
    expect(view.status).toBe('running');
    expect(EMPTY_JOB_VIEW.unreadable).toEqual([]);
  });
});

describe('the stage before the first loss and the connection state', () => {
  it("shows the worker's newest info line while a job runs without a loss yet", () => {
    let view = jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' });
    expect(currentStage(view)).toBe(null);
    view = jobViewAfter(view, { type: 'log', level: 'info', message: 'loading base model' });
    view = jobViewAfter(view, { type: 'log', level: 'info', message: 'caching latents' });
    expect(currentStage(view)).toBe('caching latents');
    view = jobViewAfter(view, { type: 'progress', progress: { step: 1, total: 4, loss: 0.3 } });
    expect(currentStage(view)).toBe(null);
    // a prep's own progress message already names its stage
    const prep = jobViewAfter(jobViewAfter(EMPTY_JOB_VIEW, { type: 'status', status: 'running' }), {
      type: 'log',
      level: 'info',
      message: 'loading the prep stages',
    });
    expect(
      currentStage(
        jobViewAfter(prep, {
          type: 'progress',
          progress: { step: 0, total: 3, message: 'loading the prep stages' },
        }),
      ),
    ).toBe(null);
    expect(currentStage({ ...view, status: 'succeeded', losses: [] })).toBe(null);
  });

  it('marks the view disconnected while the stream is down, and clears it', () => {
    const lost = jobViewAfterConnection(EMPTY_JOB_VIEW, true);
    expect(lost.disconnected).toBe(true);
    expect(jobViewAfterConnection(lost, true)).toBe(lost);
    expect(jobViewAfterConnection(lost, false).disconnected).toBe(false);
    expect(DISCONNECTED_TEXT).toBe('connection to the server lost, retrying…');
  });

  it('labels a Cancel button "Cancelling…" once clicked', () => {
    expect(cancelButtonLabel('Cancel', false)).toBe('Cancel');
    expect(cancelButtonLabel('Cancel the build', true)).toBe('Cancelling…');
  });
});

describe('prep results', () => {
  // built as src/prep/stage-registry.ts records them: `reason` in the CLI's words, `reasonParts` the same as data
  const result = {
    datasetId: 'd1',
    stages: {
      textDetector: stageChoice('paddle-db', [TEXT_DETECTOR_SHIPPED]),
      textRemover: stageChoice('lama-inpaint', [AUTO_WEIGHTS_CACHED]),
      segmenter: stageChoice('classic', SEGMENTER_NOT_DOWNLOADED),
      personDetector: null,
      captioner: stageChoice('none', CAPTIONER_NOT_DOWNLOADED),
    },
  };
  /** `reason` in the CLI's words with each pull command as the web app words it. */
  const inWebWords = (reason: StageReason) =>
    cliReason(reason).replace(/`toonlora models pull ([\w-]+)`/g, 'pulling $1 on the Models page');
  it('lists the stage choices with their reasons, skipping a stage that did not run', () => {
    expect(prepStageChoices(result)).toEqual([
      { stage: 'text detector', name: 'paddle-db', reason: TEXT_DETECTOR_SHIPPED },
      { stage: 'text removal', name: 'lama-inpaint', reason: AUTO_WEIGHTS_CACHED },
      { stage: 'character cut-out', name: 'classic', reason: inWebWords(SEGMENTER_NOT_DOWNLOADED) },
      { stage: 'captions', name: 'none', reason: inWebWords(CAPTIONER_NOT_DOWNLOADED) },
    ]);
    expect(prepStageChoices(null)).toEqual([]);
    expect(prepStageChoices({ datasetId: 'd1' })).toEqual([]);
  });
  it("words a stage reason's parts for the web: the Models page pulls, the Upload page's field (no rewording of the CLI's text)", () => {
    const withParts = {
      stages: {
        segmenter: result.stages.segmenter,
        personDetector: stageChoice('anime-person-detector', PERSON_DETECTOR_CACHED),
        captioner: result.stages.captioner,
      },
    };
    const reasons = prepStageChoices(withParts).map((choice) => choice.reason);
    expect(reasons).toEqual([
      inWebWords(SEGMENTER_NOT_DOWNLOADED),
      cliReason(PERSON_DETECTOR_CACHED).replace('--characters all', 'Characters per screenshot "all"'),
      inWebWords(CAPTIONER_NOT_DOWNLOADED),
    ]);
    expect(reasons[0]).toContain('pulling isnet-anime on the Models page');
    expect(reasons[2]).toContain('pulling wd-vit-tagger-v3 on the Models page');
    expect(prepCaptionWarning(withParts)).toContain(`(${inWebWords(CAPTIONER_NOT_DOWNLOADED)})`);
    expect(prepCaptionWarning(withParts)).not.toContain('toonlora');
    // the words come from the parts, not from the CLI's text
    const pull = { kind: 'pull-model', id: 'u2net' } as const;
    const segmenter = { ...result.stages.segmenter, reasonParts: ['auto: ', pull, ' helps'] };
    expect(prepStageChoices({ stages: { segmenter } })[0]?.reason).toBe(
      'auto: pulling u2net on the Models page helps',
    );
  });
  it("shows a reason without parts as it is, or a plain fallback where it names a CLI command (an older job's)", () => {
    const plain = { name: 'blip', reason: AUTO_WEIGHTS_CACHED };
    expect(prepStageChoices({ stages: { captioner: plain } })[0]?.reason).toBe(plain.reason);
    const older = { name: 'classic', reason: cliReason(SEGMENTER_NOT_DOWNLOADED) };
    expect(older.reason).toContain('toonlora models pull');
    expect(prepStageChoices({ stages: { segmenter: older } })[0]?.reason).toBe(OLDER_REASON_FALLBACK);
    const unreadable = { ...older, reasonParts: [{ kind: 'a-kind-from-a-newer-version' }] };
    expect(prepStageChoices({ stages: { segmenter: unreadable } })[0]?.reason).toBe(OLDER_REASON_FALLBACK);
  });
  it('shows nothing of a malformed result, without throwing', () => {
    const malformed: Record<string, unknown>[] = [
      { stages: 'classic' },
      { stages: ['classic'] },
      { stages: { captioner: { name: 'none', reason: 7 } } },
      { stages: { captioner: { name: 'none' } } },
      { stages: { captioner: 'none', segmenter: { name: 3, reason: AUTO_WEIGHTS_CACHED } } },
    ];
    for (const bad of malformed) {
      expect(prepStageChoices(bad)).toEqual([]);
      expect(prepCaptionWarning(bad)).toBe(null);
    }
    // one malformed stage leaves the others shown
    const mixed = { stages: { segmenter: { name: 'classic' }, captioner: result.stages.captioner } };
    expect(prepStageChoices(mixed).map((choice) => choice.stage)).toEqual(['captions']);
  });
  it('warns when captions fell back to the trigger word only', () => {
    expect(prepCaptionWarning(result)).toBe(
      `No tags were captioned: every caption is only the trigger and class words (${inWebWords(CAPTIONER_NOT_DOWNLOADED)}). Training on these captions works, but edit them on the Dataset page or download a captioner for better results.`,
    );
    const tagged = { stages: { ...result.stages, captioner: stageChoice('wd14', [AUTO_WEIGHTS_CACHED]) } };
    expect(prepCaptionWarning(tagged)).toBe(null);
    expect(prepCaptionWarning(null)).toBe(null);
  });
});

describe('jobToFollow', () => {
  const job = (id: string, status: JobStatus) => ({ id, status });
  it("takes another tab's newer job once the followed one is not running", () => {
    const old = job('a', 'succeeded');
    expect(jobToFollow(null, [job('b', 'running')], null)).toEqual(job('b', 'running'));
    expect(jobToFollow(old, [job('b', 'queued'), old], 'succeeded')).toEqual(job('b', 'queued'));
    const running = job('a', 'running');
    expect(jobToFollow(running, [job('b', 'queued'), running], 'running')).toBe(running);
    // the same job re-read: the same object (no new stream)
    expect(jobToFollow(old, [job('a', 'succeeded')], 'succeeded')).toBe(old);
    expect(jobToFollow(old, [], null)).toBe(old);
  });
});

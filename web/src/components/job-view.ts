// web/src/components/job-view.ts — what the web app shows of one job (status, latest progress, loss
// history, sample images, warnings, last checkpoint, stream messages it could not read), the pure steps that fold
// one job event (or one unreadable message) into it, and which live figures its status line shows.
import { isFinalStatus } from '../../../src/jobs/job-state.js';
import { webStageReason } from '../../../src/jobs/web-stage-words.js';
import { z } from 'zod';
import type { JobEventBody, JobProgress, JobStatus } from '../../../src/schemas/api.js';
import { manifestStageChoiceSchema } from '../../../src/schemas/manifest.js';
import type { LossPoint } from './loss-chart.js';
import type { SampleImage } from './sample-labels.js';

export interface JobView {
  status: JobStatus | null;
  message: string | null;
  progress: JobProgress | null;
  losses: LossPoint[];
  /** Each with its place among its step's images (sample-labels.ts reads prompt and seed from it). */
  samples: SampleImage[];
  /** The job's distinct `warn` log lines, in order (an image left out, a compile fallback, a run that may
   * not fit); a resumed attempt that warns again adds nothing. */
  warnings: string[];
  /** The last checkpoint the job reported (a train job resumes from it); null before the first. */
  checkpoint: string | null;
  /** The step of that checkpoint; null before the first. */
  checkpointStep: number | null;
  /** What was wrong with each distinct stream message the page could not read (job-follow.ts's
   * readStreamMessage); what the view shows may then be incomplete. */
  unreadable: string[];
  /** The newest `info` log line (the worker's "loading base model", "LoRA: 128 modules"): what the job is doing
   * before its first loss. */
  stage: string | null;
  /** Whether the event stream is down and being reconnected (a stopped server, a dropped network). */
  disconnected: boolean;
  /** What a queued job waits for now, read from the server's queue (queue-wait.ts); null when not known. */
  waiting: string | null;
}

export const EMPTY_JOB_VIEW: JobView = {
  status: null,
  message: null,
  progress: null,
  losses: [],
  samples: [],
  warnings: [],
  checkpoint: null,
  checkpointStep: null,
  unreadable: [],
  stage: null,
  disconnected: false,
  waiting: null,
};

/** `view` once the event stream broke (`lost`) or delivered again; the same object when nothing changed. */
export function jobViewAfterConnection(view: JobView, lost: boolean): JobView {
  return view.disconnected === lost ? view : { ...view, disconnected: lost };
}

/**
 * The message under a job's badge: its status message, except that a queued job says what it waits for now
 * (the "waiting for …" its status event carried names the queue as it was when it was submitted).
 */
export function statusMessage(view: Pick<JobView, 'status' | 'message' | 'waiting'>): string | null {
  if (view.status !== 'queued' || view.waiting === null) return view.message;
  if (!view.message || view.message.startsWith('waiting for')) return view.waiting;
  return `${view.message}; ${view.waiting}`;
}

/** What the status line says while the event stream is down. */
export const DISCONNECTED_TEXT = 'connection to the server lost, retrying…';

/**
 * The status badge's text (also its CSS class): the job's status, except while the stream is down before a
 * final status: the job may have ended or the server stopped, so a "running" would be a frozen guess. The
 * last status seen is named in the badge's title then.
 */
export function statusBadge(view: Pick<JobView, 'status' | 'disconnected'>): {
  text: string;
  title: string | undefined;
} {
  if (view.disconnected && (view.status === null || !isFinalStatus(view.status))) {
    return { text: 'unknown', title: view.status ? `last seen ${view.status}` : undefined };
  }
  return { text: view.status ?? '…', title: undefined };
}

/** `view` after a stream message that could not be read (`problem` says why); a repeated problem adds nothing. */
export function jobViewAfterUnreadable(view: JobView, problem: string): JobView {
  if (view.unreadable.includes(problem)) return view;
  return { ...view, unreadable: [...view.unreadable, problem] };
}

/** `view` after the job reported `body`. A progress event replaces the loss points from its step on (a
 * resumed run reports those steps again). */
export function jobViewAfter(view: JobView, body: JobEventBody): JobView {
  switch (body.type) {
    case 'status':
      return { ...view, status: body.status, message: body.message ?? null };
    case 'progress': {
      const loss = body.progress.loss;
      const losses =
        typeof loss === 'number'
          ? [...view.losses.filter((p) => p.step < body.progress.step), { step: body.progress.step, loss }]
          : view.losses;
      return { ...view, progress: body.progress, losses };
    }
    case 'sample':
      return {
        ...view,
        samples: [
          ...view.samples,
          ...body.urls.map((url, index) => ({ step: body.step, url, index, count: body.urls.length })),
        ],
      };
    case 'checkpoint':
      return { ...view, checkpoint: body.path, checkpointStep: body.step };
    case 'log':
      if (body.level === 'info') return { ...view, stage: body.message };
      if (body.level !== 'warn' || view.warnings.includes(body.message)) return view;
      return { ...view, warnings: [...view.warnings, body.message] };
    default:
      return view;
  }
}

/**
 * The label of the button that re-queues a stopped train job: with a checkpoint (the one the job object
 * had when it was loaded, or one reported since, e.g. by the run a Cancel just stopped) it resumes there;
 * without one, it runs again from step 1.
 */
export function resumeLabel(jobCheckpoint: string | null, view: Pick<JobView, 'checkpoint'>): string {
  return (view.checkpoint ?? jobCheckpoint) ? 'Resume from checkpoint' : 'Start again';
}

/** The figures a status line shows beside the status badge. */
export interface JobFigures {
  step: number;
  total: number;
  loss: number | null;
  /** it/s and ETA: only while the job runs. */
  itPerS: number | null;
  etaS: number | null;
  /** The runner's progress message ("waiting for the generation worker"): only while the job runs. */
  message: string | null;
}

/**
 * What the status line shows of `view`'s progress: nothing once the job is final (the status and its message
 * say it all; a last it/s, ETA or "waiting for ..." would read as live), step / total and loss while it
 * is queued again or its stream is down, and everything while it runs.
 */
export function jobFigures(view: JobView): JobFigures | null {
  const p = view.progress;
  if (!p || (view.status !== null && isFinalStatus(view.status))) return null;
  // while the stream is down the job's speed and ETA are not live any more
  const running = view.status === 'running' && !view.disconnected;
  const number = (value: number | null | undefined) => (typeof value === 'number' ? value : null);
  return {
    step: p.step,
    total: p.total,
    loss: number(p.loss),
    itPerS: running ? number(p.itPerS) : null,
    etaS: running ? number(p.etaS) : null,
    message: running ? (p.message ?? null) : null,
  };
}

/**
 * The line a final job keeps under its badge: a succeeded job's last progress message (prep's "3 crops
 * from 4 screenshots (…)"), or where a stopped train job stopped ("stopped at step 120 / 400 · checkpoint
 * at step 100"); null when there is none or the job is not final.
 */
export function finalSummary(view: Pick<JobView, 'status' | 'progress' | 'checkpointStep'>): string | null {
  if (view.status === null || !isFinalStatus(view.status)) return null;
  const p = view.progress;
  if (view.status === 'succeeded') return p?.message ?? null;
  const parts: string[] = [];
  if (p && p.step > 0) parts.push(`stopped at step ${p.step} / ${p.total}`);
  if (view.checkpointStep !== null) parts.push(`checkpoint at step ${view.checkpointStep}`);
  return parts.length > 0 ? parts.join(' · ') : null;
}

/**
 * What the job is doing while it runs and has reported no loss yet: the worker's newest info log line
 * ("loading base model…", "dataset: 5 images, repeats 10"), unless a progress message says it already; null
 * otherwise (the figures say it then).
 */
export function currentStage(view: Pick<JobView, 'status' | 'stage' | 'losses' | 'progress'>): string | null {
  if (view.status !== 'running' || view.stage === null || view.losses.length > 0) return null;
  return view.progress?.message === view.stage ? null : view.stage;
}

/** One stage a prep job chose (its `result.stages`), with why. */
export interface PrepStageChoice {
  stage: string;
  name: string;
  reason: string;
}

const PREP_STAGE_LABELS: Record<string, string> = {
  textDetector: 'text detector',
  textRemover: 'text removal',
  segmenter: 'character cut-out',
  personDetector: 'character detector',
  captioner: 'captions',
};

/** The stage choices of a prep job's result (`{ stages: { captioner: { name, reason, reasonParts }, ... } }`, as
 * the manifest records them), in the manifest's order, each reason in the web app's words (its parts worded:
 * src/jobs/web-stage-words.ts); [] when the result has none (an older or failed job). */
export function prepStageChoices(result: Record<string, unknown> | null | undefined): PrepStageChoice[] {
  const choices: PrepStageChoice[] = [];
  for (const [stage, value] of Object.entries(resultStages(result))) {
    const choice = resultStageChoiceSchema.safeParse(value);
    if (!choice.success) continue;
    choices.push({
      stage: PREP_STAGE_LABELS[stage] ?? stage,
      name: choice.data.name,
      reason: webStageReason(choice.data),
    });
  }
  return choices;
}

/** The warning a prep result calls for: captions fell back to the trigger and class words only. */
export function prepCaptionWarning(result: Record<string, unknown> | null | undefined): string | null {
  const captioner = resultStageChoiceSchema.safeParse(resultStages(result).captioner);
  if (!captioner.success || captioner.data.name !== 'none') return null;
  const reason = webStageReason(captioner.data);
  const why = reason ? ` (${reason})` : '';
  return `No tags were captioned: every caption is only the trigger and class words${why}. Training on these captions works, but edit them on the Dataset page or download a captioner for better results.`;
}

/**
 * A stage entry of a prep job's result: the manifest's choice (src/schemas/manifest.ts), its `reasonParts` left to
 * webStageReason, which shows `reason` as it is when they are parts of a newer version.
 */
const resultStageChoiceSchema = manifestStageChoiceSchema.extend({ reasonParts: z.unknown().optional() });

/** A prep job result's `stages` by stage name; {} when it has none or they are not an object. */
function resultStages(result: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const stages = z.record(z.string(), z.unknown()).safeParse(result?.stages);
  return stages.success ? stages.data : {};
}

/** A Cancel button's text: "Cancelling…" once clicked, until the job ends. */
export function cancelButtonLabel(label: string, cancelling: boolean): string {
  return cancelling ? 'Cancelling…' : label;
}

/**
 * Which job a page follows after re-reading the character's jobs of its kind (`jobs`, newest first): a newer
 * one (another tab started it) once the followed one is not running (`followedStatus`, its live status);
 * else the followed one, the same object when its id is unchanged (no re-render, no new stream).
 */
export function jobToFollow<J extends { id: string; status: JobStatus }>(
  current: J | null,
  jobs: readonly J[],
  followedStatus: JobStatus | null,
): J | null {
  const newest = jobs[0] ?? null;
  if (!newest) return current;
  if (!current) return newest;
  if (newest.id === current.id) return current;
  const status = followedStatus ?? current.status;
  const running = status === 'queued' || status === 'running';
  return running ? current : newest;
}

/** The character's queued or running job among `jobs` (newest first, as the API lists them), to follow. */
export function activeJobOf<J extends { status: JobStatus }>(jobs: readonly J[]): J | null {
  return jobs.find((j) => j.status === 'queued' || j.status === 'running') ?? null;
}

/**
 * The job a page reopens on load among `jobs` (newest first): the queued or running one, else the newest.
 * A resumed run is older than a run cancelled after it; reopening the newest showed that cancelled run
 * (and its "Start again") until the next poll found the running one.
 */
export function jobToReopen<J extends { status: JobStatus }>(jobs: readonly J[]): J | null {
  return activeJobOf(jobs) ?? jobs[0] ?? null;
}

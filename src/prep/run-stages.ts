// src/prep/run-stages.ts — which stages a prep run uses: the ones a caller passed in, else the registry's
// (with a line announcing each `auto` choice, its reason's parts as data), and what the run's analysis workers are
// told to open.
import type { PrepConfig } from '../schemas/config.js';
import type { AnalysisWorkerSpec } from './analysis-pool.js';
import type { RunContext } from './finish-file.js';
import type { PrepOptions } from './pipeline.js';
import {
  createTextStages,
  type Resolved,
  resolveCaptioner,
  resolvePersonDetector,
  resolveSegmenter,
  type SegmenterName,
} from './stage-registry.js';
import { reasonOf, type StageReason } from '../stage-reason.js';
import type { PersonDetector } from './stage-types.js';

/** Picks every stage (injected ones win), with one announcement line per `auto` choice (as parts: each side words them). */
export async function resolveStages(options: PrepOptions, config: PrepConfig) {
  const injected = options.stages ?? {};
  const cache = options.cache ?? {};
  const given = <T extends { name: string }>(stage: T): Resolved<T> => ({
    stage,
    choice: { name: stage.name, reason: 'given by the caller' },
  });
  const segmenter = injected.segmenter
    ? given(injected.segmenter)
    : await resolveSegmenter(config.segmenter, cache);
  const captionerOptions = {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onCaptionProgress ? { onCaptionProgress: options.onCaptionProgress } : {}),
  };
  const captioner = injected.captioner
    ? given(injected.captioner)
    : await resolveCaptioner(config, cache, captionerOptions);
  const person: Resolved<PersonDetector | null> | null =
    injected.personDetector !== undefined
      ? injected.personDetector && given(injected.personDetector)
      : await resolvePersonDetector(config.characters, cache);
  const text =
    injected.textDetector && injected.textRemover
      ? { detector: given(injected.textDetector), remover: given(injected.textRemover) }
      : await createTextStages(config, cache);
  const announcements: StageReason[] = [];
  const line = (role: string, r: Resolved<unknown>): StageReason => [
    `${role}: ${r.choice.name} (`,
    ...reasonOf(r.choice),
    ')',
  ];
  if (!injected.segmenter && config.segmenter === 'auto') announcements.push(line('segmenter', segmenter));
  if (!injected.captioner && config.captioner === 'auto') announcements.push(line('captioner', captioner));
  if (person && injected.personDetector === undefined) {
    announcements.push(
      person.stage
        ? ['characters: all, one crop per person found by anime-person-detector']
        : ['characters: all, split by separate mask parts; ', ...reasonOf(person.choice)],
    );
  }
  if (!injected.textRemover && config.inpainter === 'auto')
    announcements.push(line('text removal', text.remover));
  return { segmenter, captioner, person, text, announcements };
}

/** Worker threads can only open stages from the registry, not stage objects a caller passed in. */
export function canUseWorkers(options: PrepOptions): boolean {
  const given = options.stages ?? {};
  return !given.textDetector && !given.textRemover && !given.segmenter && given.personDetector === undefined;
}

/** The stages resolveStages picked. */
export type RunStages = Awaited<ReturnType<typeof resolveStages>>;

/** What the run's analysis workers open: the stages this run resolved, `intraOpThreads` per session. */
export function workerSpec(
  intraOpThreads: number,
  ctx: RunContext,
  stages: RunStages,
  options: PrepOptions,
): AnalysisWorkerSpec {
  return {
    config: ctx.config,
    saveStages: ctx.saveStages,
    intraOpThreads,
    segmenter: stages.segmenter.choice.name as SegmenterName,
    personDetectorModel: stages.person?.stage ? (stages.person.modelPath ?? null) : null,
    cache: options.cache ?? {},
  };
}

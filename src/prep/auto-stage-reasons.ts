// src/prep/auto-stage-reasons.ts — the reasons prep's `auto` stage choices record, as data (pure): stage-registry.ts
// chooses by them, and tests build their manifests from them, so a reworded reason reaches every test.
import type { StageReason } from '../stage-reason.js';

/** An `auto` stage whose model is in the cache and loaded. */
export const AUTO_WEIGHTS_CACHED = 'auto: its weights are in the model cache';

/** The text detector's only choice: PaddleOCR's detection model ships with the npm package. */
export const TEXT_DETECTOR_SHIPPED = 'default (weights ship with the npm package)';

/** The reason a `--characters all` run used the person detector (the only choice that names the option). */
export const PERSON_DETECTOR_CACHED: StageReason = [
  { kind: 'prep-option', option: 'characters', value: 'all' },
  ': its weights are in the model cache',
];

/** `auto` segmenting with classic because isnet-anime is not downloaded. */
export const SEGMENTER_NOT_DOWNLOADED: StageReason = [
  'auto: isnet-anime is not downloaded; ',
  { kind: 'pull-model', id: 'isnet-anime' },
  ' gives better masks on busy panels',
];

/** `auto` captioning with none because no captioner's weights are downloaded. */
export const CAPTIONER_NOT_DOWNLOADED: StageReason = [
  'auto: no captioner weights downloaded, captions are the trigger and class words; ',
  { kind: 'pull-model', id: 'wd-vit-tagger-v3' },
  ' adds tags',
];

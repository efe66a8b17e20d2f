// src/prep-field-labels.ts — the Upload page's label of each prep option field (pure data, browser-safe): the
// one source for the page's selects (web/src/pages/upload.tsx), its warning before Build (web/src/components/
// prep-model-warnings.ts), a stage reason's prep option in the web app's words (jobs/web-stage-words.ts) and the
// Models page's words for what a missing model changes (models/registry.ts webWhenMissing).
import type { PrepOptionName } from './stage-reason.js';

/** The prep options the Upload page offers as fields (src/stage-reason.ts prepOptionSchema). */
export type PrepField = PrepOptionName;

/** Each field's label, in the page's order. */
export const PREP_FIELD_LABELS: Readonly<Record<PrepField, string>> = {
  characters: 'Characters per screenshot',
  segmenter: 'Character cut-out',
  inpainter: 'Text over art filled by',
  captioner: 'Captions',
};

/** The fields in the page's order. */
export const PREP_FIELDS = Object.keys(PREP_FIELD_LABELS) as readonly PrepField[];

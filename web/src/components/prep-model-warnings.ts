// web/src/components/prep-model-warnings.ts — the Upload page's warning before Build (pure): a stage chosen by name
// whose model is not downloaded on the server fails the build (or, for Characters per screenshot "all", falls back),
// as the Models list says (`state` of each registry row); each names its field by its label (src/prep-field-labels.ts). `auto` never needs one: it picks what is there.
import { PREP_FIELD_LABELS, PREP_FIELDS, type PrepField } from '../../../src/prep-field-labels.js';
import type { ModelRow } from '../../../src/schemas/models-api.js';

/** The Upload page's stage fields, by their request keys. */
export type PrepStageKey = PrepField;

/** The registry models a stage choice loads (src/prep/stage-registry.ts), per field and choice. */
const MODELS_OF_CHOICE: Readonly<Record<PrepStageKey, Readonly<Record<string, readonly string[]>>>> = {
  characters: { all: ['anime-person-detector'] },
  segmenter: { 'isnet-anime': ['isnet-anime'], u2net: ['u2net'] },
  inpainter: { lama: ['lama'] },
  captioner: {
    wd14: ['wd-vit-tagger-v3'],
    blip: ['blip-base'],
    'blip+wd14': ['blip-base', 'wd-vit-tagger-v3'],
  },
};

/**
 * One warning per chosen stage whose model is not complete on the server (`models`: GET /api/models' rows; none
 * while they are not read yet, so no warning then).
 */
export function prepModelWarnings(
  options: Readonly<Partial<Record<PrepStageKey, string>>>,
  models: readonly Pick<ModelRow, 'id' | 'state'>[] | null,
): string[] {
  if (models === null) return [];
  const complete = new Set(models.filter((row) => row.state === 'complete').map((row) => row.id));
  const warnings: string[] = [];
  for (const key of PREP_FIELDS) {
    const choice = options[key] ?? 'auto';
    const missing = (MODELS_OF_CHOICE[key][choice] ?? []).filter((id) => !complete.has(id));
    if (missing.length === 0) continue;
    const them = missing.length > 1 ? 'them' : 'it';
    const head = `${PREP_FIELD_LABELS[key]} "${choice}": ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not downloaded on the server`;
    warnings.push(
      key === 'characters'
        ? `${head}, so characters are split by mask parts instead: pull ${them} on the Models page to split them by detections.`
        : `${head}, so the build would fail: pull ${them} on the Models page, or choose auto.`,
    );
  }
  return warnings;
}

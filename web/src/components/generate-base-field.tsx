// web/src/components/generate-base-field.tsx — the Generate form's Base model field (split out of pages/generate.tsx):
// empty, its placeholder names the base the job will use (generateBase: the LoRA's training base, the base an
// uploaded LoRA's file names, else the server's default) and a note under it says where that base comes from; the
// Train page's note when the base is not downloaded (BaseModelNoteLine), and the note about an uploaded LoRA's file
// base (lora-file-base.ts).
import type { BaseModelChoice } from '../../../src/schemas/api.js';
import { BaseModelNoteLine, BaseModelOptions } from './base-model-hints.js';
import type { GenerateBase } from './generate-form.js';
import type { BaseModelNote } from './train-form.js';

/** The note under an empty field saying where the base comes from; null where the file's base note says it. */
function baseSourceWords(base: GenerateBase, hasFileBaseNote: boolean): string | null {
  if (base.source === 'lora') return "Left empty: the LoRA's base (the one it was trained on).";
  if (base.source === 'default' && !hasFileBaseNote) return "Left empty: the server's default base.";
  return null;
}

export function GenerateBaseField({
  value,
  base,
  baseNote,
  fileBaseNote,
  choices,
  onChange,
}: {
  /** What the user typed (empty: the base `base` names). */
  value: string;
  base: GenerateBase;
  /** The note about `base` (e.g. not downloaded), else null. */
  baseNote: BaseModelNote | null;
  /** The note about the base an uploaded LoRA's file names, else null. */
  fileBaseNote: { text: string; warn: boolean } | null;
  choices: BaseModelChoice[];
  onChange: (baseModel: string) => void;
}) {
  // The placeholder names the base alone (a 375 px phone cut "stablediffusionapi/anything-v5 (the server's
  // default)" off); where it comes from is a note under the field, which wraps (a file's base has its own note).
  const placeholder = base.source === 'form' ? '' : base.name;
  const baseSource = baseSourceWords(base, fileBaseNote !== null);
  const empty = !value.trim();
  return (
    <>
      <label className="phone-wide">
        Base model
        <input
          name="baseModel"
          value={value}
          list="generate-base-models"
          placeholder={value ? undefined : placeholder}
          onChange={(e) => onChange(e.target.value)}
        />
        <BaseModelOptions id="generate-base-models" choices={choices} />
      </label>
      {baseSource && empty && (
        <p className="field-note wide small muted" data-testid="base-source">
          {baseSource}
        </p>
      )}
      <BaseModelNoteLine note={baseNote} />
      {fileBaseNote && empty && (
        <p
          className={`field-note wide small ${fileBaseNote.warn ? 'field-warning' : 'muted'}`}
          data-testid="lora-file-base"
        >
          {fileBaseNote.text}
        </p>
      )}
    </>
  );
}

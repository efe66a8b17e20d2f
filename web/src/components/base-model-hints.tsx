// web/src/components/base-model-hints.tsx — what the Train and Generate pages show beside their base-model
// field: the suggestions (a <datalist>, each base marked when it is not downloaded) and the note under the
// field (baseModelNote: not downloaded, or what an alias stands for; its Models page a link).
import type { BaseModelChoice } from '../../../src/schemas/api.js';
import { LinkedText } from './linked-text.js';
import type { BaseModelNote } from './train-form.js';

/** The suggestions of a base-model <input list={id}>. */
export function BaseModelOptions({ id, choices }: { id: string; choices: readonly BaseModelChoice[] }) {
  return (
    <datalist id={id}>
      {choices.map((b) => (
        <option key={b.name} value={b.name}>
          {b.present ? b.description : `${b.description} (not downloaded)`}
        </option>
      ))}
    </datalist>
  );
}

/** The note under a base-model field; nothing when there is none. */
export function BaseModelNoteLine({ note }: { note: BaseModelNote | null }) {
  if (!note) return null;
  return (
    <p
      className={`field-note wide small ${note.warn ? 'field-warning' : 'muted'}`}
      data-testid="base-model-note"
    >
      <LinkedText text={note.text} />
    </p>
  );
}

// web/src/components/character-rename.tsx — a character card's inline rename: the name, trigger and class word
// become fields with Save / Cancel (Enter saves, Escape cancels); only what changed is sent; a refused name (taken,
// empty) or word is said beside the fields, which stay open with what was typed. A trigger or class word an older
// toonlora allowed and today's rules refuse is changed here (its prep says so): dataset versions built before keep
// their captions.
import { type FormEvent, type KeyboardEvent, useState } from 'react';
import type { Character } from '../../../src/schemas/api.js';
import { characterRenameSchema } from '../../../src/schemas/api.js';
import type { CharacterPatch } from '../../../src/schemas/api-character-patch.js';
import { ApiError, api } from '../api.js';
import { errorText } from './error-text.js';

const NAME_MAX_LENGTH = characterRenameSchema.shape.name.maxLength ?? undefined;

/** What the form changes: each field whose trimmed text differs from the character's (none: nothing to send). */
export function changedFields(
  character: Pick<Character, 'name' | 'trigger' | 'classWord'>,
  typed: Required<CharacterPatch>,
): CharacterPatch {
  const keys = ['name', 'trigger', 'classWord'] as const;
  return Object.fromEntries(
    keys.filter((key) => typed[key].trim() !== character[key]).map((key) => [key, typed[key]]),
  );
}

/** The form's fields, in order: each names the character (`New name for Mina`, `Trigger for Mina`). */
const FIELDS = [
  { key: 'name', label: 'New name' },
  { key: 'trigger', label: 'Trigger' },
  { key: 'classWord', label: 'Class word' },
] as const;

/** The inline rename form of one card; `onDone` gets the renamed character, or nothing on Cancel / no change. */
export function CharacterRename({
  character,
  onDone,
}: {
  character: Character;
  onDone: (renamed?: Character) => void;
}) {
  const [typed, setTyped] = useState({
    name: character.name,
    trigger: character.trigger,
    classWord: character.classWord,
  });
  const [error, setError] = useState('');
  const [saving, setSaving] = useState(false);
  const errorId = `rename-error-${character.id}`;

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const patch = changedFields(character, typed);
    if (Object.keys(patch).length === 0) return onDone();
    setSaving(true);
    try {
      onDone(await api.renameCharacter(character.id, patch));
    } catch (caught) {
      setError(errorText(caught, caught instanceof ApiError ? caught.status : undefined));
      setSaving(false);
    }
  };
  const cancelOnEscape = (event: KeyboardEvent) => {
    if (event.key === 'Escape') onDone();
  };

  return (
    <form className="card-rename" onSubmit={save} onKeyDown={cancelOnEscape}>
      {FIELDS.map(({ key, label }) => (
        <input
          key={key}
          aria-label={`${label} for ${character.name}`}
          // biome-ignore lint/a11y/noAutofocus: the field the user just asked for
          autoFocus={key === 'name'}
          required
          maxLength={key === 'name' ? NAME_MAX_LENGTH : undefined}
          value={typed[key]}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          onChange={(e) => {
            setTyped({ ...typed, [key]: e.target.value });
            setError('');
          }}
        />
      ))}
      {error && (
        <span id={errorId} className="error small" role="alert">
          {error}
        </span>
      )}
      <span className="card-rename-buttons">
        <button type="submit" disabled={saving}>
          Save
        </button>
        <button type="button" className="secondary" onClick={() => onDone()}>
          Cancel
        </button>
      </span>
    </form>
  );
}

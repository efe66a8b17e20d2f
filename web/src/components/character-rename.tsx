// web/src/components/character-rename.tsx — a character card's inline rename: the name becomes a field with
// Save / Cancel (Enter saves, Escape cancels); a refused name (taken, empty) is said beside the field, which
// stays open with what was typed.
import { type FormEvent, type KeyboardEvent, useState } from 'react';
import type { Character } from '../../../src/schemas/api.js';
import { characterRenameSchema } from '../../../src/schemas/api.js';
import { ApiError, api } from '../api.js';
import { errorText } from './error-text.js';

const NAME_MAX_LENGTH = characterRenameSchema.shape.name.maxLength ?? undefined;

/** The inline rename form of one card; `onDone` gets the renamed character, or nothing on Cancel / no change. */
export function CharacterRename({
  character,
  onDone,
}: {
  character: Character;
  onDone: (renamed?: Character) => void;
}) {
  const [name, setName] = useState(character.name);
  const [error, setError] = useState('');
  const [saving, setSaving] = useState(false);
  const errorId = `rename-error-${character.id}`;

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (name.trim() === character.name) return onDone();
    setSaving(true);
    try {
      onDone(await api.renameCharacter(character.id, { name }));
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
      <input
        aria-label={`New name for ${character.name}`}
        // biome-ignore lint/a11y/noAutofocus: the field the user just asked for
        autoFocus
        required
        maxLength={NAME_MAX_LENGTH}
        value={name}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        onChange={(e) => {
          setName(e.target.value);
          setError('');
        }}
      />
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

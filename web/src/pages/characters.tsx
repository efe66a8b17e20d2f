// web/src/pages/characters.tsx — the characters list (each with an inline Rename, and a Delete that asks
// first; focus goes back to Rename when the inline rename closes, and to the next card's Delete, else the
// heading, once a deleted card goes) and the create form (name, trigger, class word). Of the list's reads (the
// opening one, one after each delete or rename) only the newest one's answer shows: of two quick deletes, the
// first one's late answer brought the second card back. A double-clicked Create sends one request (the second
// made a "name taken" banner), and a Delete whose job check answers after the user went to another page asks
// nothing there.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { Character } from '../../../src/schemas/api.js';
import { characterCreateSchema } from '../../../src/schemas/api.js';
import { prepConfigSchema } from '../../../src/schemas/config.js';
import { api } from '../api.js';
import { ActionButton, nextInList, useFocusRescue } from '../components/action-button.js';
import { characterBusyWords } from '../components/busy-delete-words.js';
import { CharacterRename } from '../components/character-rename.js';
import { readUntilAnswered } from '../components/initial-read.js';
import { activeJobOf } from '../components/job-view.js';
import { ifNewest, readNewest, useNewestReads, useStillShown } from '../components/newest-read.js';
import { useSubmitOnce } from '../components/use-submit-once.js';

/** The inputs' maxLength: the schema's limits, so the browser stops typing where the server would refuse. */
const MAX_LENGTH = {
  name: characterCreateSchema.shape.name.maxLength ?? undefined,
  trigger: prepConfigSchema.shape.trigger.unwrap().maxLength ?? undefined,
  classWord: prepConfigSchema.shape.classWord.unwrap().maxLength ?? undefined,
};

/** What a Delete says instead of asking while one of the character's jobs is queued or running. */
export const DELETE_WHILE_RUNNING =
  'A training, dataset build or generation is running for this character: cancel it first (or let it finish), then delete.';

/** `1 screenshot`, `2 screenshots`. */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A card's counts line: `1 screenshot · 2 datasets · 0 LoRAs`. */
export function cardCounts(c: Character): string {
  return [
    count(c.imageCount, 'screenshot'),
    count(c.datasetCount, 'dataset'),
    count(c.loraCount, 'LoRA'),
  ].join(' · ');
}

/** The confirmation asked before a character is deleted: what goes with it. */
export function deleteQuestion(c: Character): string {
  return `Delete ${c.name}? Its ${count(c.imageCount, 'screenshot')}, ${count(c.datasetCount, 'dataset')} and ${count(c.loraCount, 'LoRA')} go with it, with its jobs and generated images, files included; this cannot be undone. Download a LoRA first to keep it.`;
}

export function CharactersPage({ onError }: { onError: (error: unknown) => void }) {
  /** null until the list loaded (no "no characters yet" when the load failed). */
  const [characters, setCharacters] = useState<Character[] | null>(null);
  const [form, setForm] = useState({ name: '', trigger: '', classWord: 'girl' });
  /** The card whose name is being edited, if any. */
  const [renaming, setRenaming] = useState<string | null>(null);
  /** The card whose Rename button gets the focus back when it shows again (Save, Cancel, Escape). */
  const refocusRename = useRef<string | null>(null);
  const focusIfReturning = (id: string) => (button: HTMLButtonElement | null) => {
    if (button && refocusRename.current === id) {
      refocusRename.current = null;
      button.focus();
    }
  };

  const heading = useRef<HTMLHeadingElement>(null);
  const cards = useRef<HTMLDivElement>(null);
  const rescueFocus = useFocusRescue();
  const reads = useNewestReads();
  const stillShown = useStillShown();
  const { busy: creating, once } = useSubmitOnce();

  const load = () => readNewest(reads, () => api.characters(), setCharacters, onError);
  // load once on mount, retried while the server cannot be reached (initial-read.ts)
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once on mount
  useEffect(() => readUntilAnswered(() => api.characters(), ifNewest(reads, setCharacters), onError), []);

  const create = (event: FormEvent) => {
    event.preventDefault();
    return once(async () => {
      try {
        const character = await api.createCharacter(form);
        window.location.hash = `#/c/${character.id}/upload`;
      } catch (error) {
        onError(error);
      }
    });
  };

  // A running job blocks the delete: say so before asking, in words (the API's refusal names job ids). The user
  // may have left the page while the jobs were read: then nothing is asked (nor deleted).
  const remove = async (c: Character, index: number) => {
    try {
      if (activeJobOf(await api.jobs(c.id))) throw new Error(DELETE_WHILE_RUNNING);
      if (!stillShown() || !window.confirm(deleteQuestion(c))) return;
      rescueFocus(
        () =>
          nextInList(
            cards.current?.querySelectorAll<HTMLElement>('[data-testid=delete-character]') ?? [],
            index,
          ) ?? heading.current,
      );
      await api.deleteCharacter(c.id);
      load();
    } catch (error) {
      // a job started since the check: the page's words (the server's names the API's cancel route)
      const busy = characterBusyWords(error, c.name);
      onError(busy ? new Error(busy) : error);
    }
  };

  return (
    <section>
      <h1 ref={heading} tabIndex={-1}>
        Characters
      </h1>
      <div className="cards" ref={cards}>
        {characters?.map((c, index) => (
          <div key={c.id} className="card" data-testid="character-card">
            {renaming === c.id ? (
              <CharacterRename
                character={c}
                onDone={(renamed) => {
                  refocusRename.current = c.id;
                  setRenaming(null);
                  if (renamed) load();
                }}
              />
            ) : (
              <>
                <a className="card-link" href={`#/c/${c.id}/upload`}>
                  <strong>{c.name}</strong>
                  <span className="muted card-words" title={`${c.trigger} · ${c.classWord}`}>
                    {c.trigger} · {c.classWord}
                  </span>
                  <span className="muted small">{cardCounts(c)}</span>
                </a>
                <span className="card-actions">
                  <button
                    type="button"
                    className="secondary"
                    ref={focusIfReturning(c.id)}
                    aria-label={`Rename ${c.name}`}
                    onClick={() => setRenaming(c.id)}
                  >
                    Rename
                  </button>
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Delete ${c.name}`}
                    data-testid="delete-character"
                    onClick={() => remove(c, index)}
                  >
                    Delete
                  </button>
                </span>
              </>
            )}
          </div>
        ))}
        {characters?.length === 0 && <p className="muted">No characters yet: create one.</p>}
      </div>
      <form className="panel form-row" onSubmit={create}>
        <h3>New character</h3>
        <label>
          Name
          <input
            name="name"
            required
            maxLength={MAX_LENGTH.name}
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </label>
        <label>
          Trigger word
          <input
            name="trigger"
            required
            maxLength={MAX_LENGTH.trigger}
            placeholder="e.g. sks"
            value={form.trigger}
            onChange={(e) => setForm({ ...form, trigger: e.target.value })}
          />
        </label>
        <label>
          Class word
          <input
            name="classWord"
            required
            maxLength={MAX_LENGTH.classWord}
            value={form.classWord}
            onChange={(e) => setForm({ ...form, classWord: e.target.value })}
          />
        </label>
        <ActionButton type="submit" busy={creating}>
          Create
        </ActionButton>
      </form>
    </section>
  );
}

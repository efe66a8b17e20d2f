// web/src/pages/characters.tsx — the characters list and the create form (name, trigger, class word).
import { type FormEvent, useEffect, useState } from 'react';
import type { Character } from '../../../src/schemas/api.js';
import { api } from '../api.js';

export function CharactersPage({ onError }: { onError: (error: unknown) => void }) {
  /** null until the list loaded (no "no characters yet" when the load failed). */
  const [characters, setCharacters] = useState<Character[] | null>(null);
  const [form, setForm] = useState({ name: '', trigger: '', classWord: 'girl' });

  const load = () => api.characters().then(setCharacters, onError);
  // biome-ignore lint/correctness/useExhaustiveDependencies: load once on mount
  useEffect(() => {
    load();
  }, []);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const character = await api.createCharacter(form);
      window.location.hash = `#/c/${character.id}/upload`;
    } catch (error) {
      onError(error);
    }
  };

  return (
    <section>
      <h2>Characters</h2>
      <div className="cards">
        {characters?.map((c) => (
          <a key={c.id} className="card" href={`#/c/${c.id}/upload`} data-testid="character-card">
            <strong>{c.name}</strong>
            <span className="muted">
              {c.trigger} · {c.classWord}
            </span>
            <span className="muted small">
              {c.imageCount} screenshots · {c.datasetCount} datasets · {c.loraCount} LoRAs
            </span>
          </a>
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
            value={form.name}
            onChange={(e) => setForm({ ...form, name: e.target.value })}
          />
        </label>
        <label>
          Trigger word
          <input
            name="trigger"
            required
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
            value={form.classWord}
            onChange={(e) => setForm({ ...form, classWord: e.target.value })}
          />
        </label>
        <button type="submit">Create</button>
      </form>
    </section>
  );
}

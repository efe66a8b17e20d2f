// web/src/app.tsx — the shell: header, hash routes (#/ characters, #/c/<id>/<tab>), token prompt
// when the server requires one, and one error banner (cleared when the user starts the next action).
import { type SyntheticEvent, useEffect, useState } from 'react';
import type { Character } from '../../src/schemas/api.js';
import { ApiError, api, getToken, setToken } from './api.js';
import { errorText } from './components/error-text.js';
import { CharactersPage } from './pages/characters.js';
import { DatasetPage } from './pages/dataset.js';
import { GeneratePage } from './pages/generate.js';
import { LoraPage } from './pages/lora.js';
import { TrainPage } from './pages/train.js';
import { UploadPage } from './pages/upload.js';

const TABS = [
  ['upload', 'Screenshots'],
  ['dataset', 'Dataset'],
  ['train', 'Train'],
  ['lora', 'LoRA'],
  ['generate', 'Generate'],
] as const;
type Tab = (typeof TABS)[number][0];

const readHash = () => window.location.hash.replace(/^#\/?/, '').split('/').filter(Boolean);

function useHashRoute(): string[] {
  const [parts, setParts] = useState(readHash);
  useEffect(() => {
    const onChange = () => setParts(readHash());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return parts;
}

/** The character the route names, once loaded: `missing` when the server has no such id. */
interface LoadedCharacter {
  id: string;
  character: Character | null;
  missing: boolean;
}

export function App() {
  const route = useHashRoute();
  const [error, setError] = useState<string | null>(null);
  const [needsToken, setNeedsToken] = useState(false);
  const [loaded, setLoaded] = useState<LoadedCharacter | null>(null);
  const onError = (e: unknown) => {
    if (e instanceof ApiError && e.status === 401) setNeedsToken(true);
    setError(errorText(e, e instanceof ApiError ? e.status : undefined));
  };
  const characterId = route[0] === 'c' ? route[1] : undefined;
  const tab = (route[2] ?? 'upload') as Tab;
  // Nothing of the previous character is shown (or uploaded to) while another id loads.
  const current = loaded && loaded.id === characterId ? loaded : null;
  const character = current?.character ?? null;

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the route changes
  useEffect(() => {
    setError(null);
    if (!characterId) {
      setLoaded(null);
      return;
    }
    let stale = false;
    api.character(characterId).then(
      (found) => {
        if (!stale) setLoaded({ id: characterId, character: found, missing: false });
      },
      (e: unknown) => {
        if (stale) return;
        if (e instanceof ApiError && e.status === 404) {
          setLoaded({ id: characterId, character: null, missing: true });
        } else onError(e);
      },
    );
    return () => {
      stale = true;
    };
  }, [characterId, tab]);

  /** Starting the next action (a button, a form, a dropped file, an edit) clears the last action's error first;
   * capture runs before the action's own handler, which may set it again. */
  const clearError = () => setError(null);
  const clearOnButton = (event: SyntheticEvent) => {
    if ((event.target as Element).closest?.('button, .button, input[type=file]')) clearError();
  };

  return (
    <>
      <header>
        <a href="#/" className="brand">
          toonlora
        </a>
        {character && (
          <nav>
            <span className="who">
              {character.name} <code>{character.trigger}</code>
            </span>
            {TABS.map(([id, label]) => (
              <a key={id} href={`#/c/${character.id}/${id}`} className={id === tab ? 'active' : ''}>
                {label}
              </a>
            ))}
          </nav>
        )}
      </header>
      <main
        onClickCapture={clearOnButton}
        onSubmitCapture={clearError}
        onDropCapture={clearError}
        onChangeCapture={clearError}
      >
        {needsToken && (
          <form
            className="panel"
            onSubmit={(e) => {
              e.preventDefault();
              setToken(new FormData(e.currentTarget).get('token') as string);
              window.location.reload();
            }}
          >
            This server needs its token (TOONLORA_TOKEN):{' '}
            <input name="token" type="password" defaultValue={getToken()} />{' '}
            <button type="submit">Use</button>
          </form>
        )}
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        {current?.missing && (
          <div className="panel" data-testid="not-found">
            <h2>No such character</h2>
            <p>
              This server has no character <code>{characterId}</code>: the link may be old, or the data folder
              another one.
            </p>
            <a href="#/">← Back to the characters</a>
          </div>
        )}
        {!characterId && <CharactersPage onError={onError} />}
        {character && tab === 'upload' && <UploadPage character={character} onError={onError} />}
        {character && tab === 'dataset' && <DatasetPage character={character} onError={onError} />}
        {character && tab === 'train' && <TrainPage character={character} onError={onError} />}
        {character && tab === 'lora' && <LoraPage character={character} onError={onError} />}
        {character && tab === 'generate' && <GeneratePage character={character} onError={onError} />}
      </main>
    </>
  );
}

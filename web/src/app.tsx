// web/src/app.tsx — the shell: header, hash routes (#/ characters, #/c/<id>/<tab>), token prompt
// when the server requires one, and one error banner.
import { useEffect, useState } from 'react';
import type { Character } from '../../src/schemas/api.js';
import { ApiError, api, getToken, setToken } from './api.js';
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

export function App() {
  const route = useHashRoute();
  const [error, setError] = useState<string | null>(null);
  const [needsToken, setNeedsToken] = useState(false);
  const [character, setCharacter] = useState<Character | null>(null);
  const onError = (e: unknown) => {
    if (e instanceof ApiError && e.status === 401) setNeedsToken(true);
    setError(e instanceof Error ? e.message : String(e));
  };
  const characterId = route[0] === 'c' ? route[1] : undefined;
  const tab = (route[2] ?? 'upload') as Tab;

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the route changes
  useEffect(() => {
    setError(null);
    if (characterId) api.character(characterId).then(setCharacter, onError);
    else setCharacter(null);
  }, [characterId, tab]);

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
      <main>
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

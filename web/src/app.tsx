// web/src/app.tsx — the shell: header, hash routes (#/ characters, #/models, #/c/<id>/<tab>; a tab or a page it does not have is the not-found view, route.ts), token prompt
// when the server requires one (alone on the page until a request is let through; "that token is not right"
// after a refused one; its field has the focus) with "Forget token" once one is stored, one <h1> per page
// (focused after a tab switch from the nav, or a route change that took the focused element away, e.g.
// Create character), and one error banner (cleared when the user starts the next action, and gone with the page
// that showed it however the user leaves it; a read's error a page reports once the user went on to another page
// is dropped, a write's is shown naming its page, shown-page.ts).
// An address blocked for too many wrong tokens (429) also gets only the prompt, with a countdown; when it is over,
// a stored token is tried again by itself (token-block.ts).
import { type SyntheticEvent, useEffect, useRef, useState } from 'react';
import type { Character } from '../../src/schemas/api.js';
import { ApiError, api, forgetToken, getToken, setToken } from './api.js';
import { focusLost } from './components/action-button.js';
import { errorText, tokenPromptText, UNREACHABLE } from './components/error-text.js';
import { onServerBack, readUntilAnswered } from './components/initial-read.js';
import { handlePageError } from './components/page-error.js';
import {
  bannerOnPage,
  type ErrorSource,
  errorBanner,
  type PageBanner,
  pageKey,
  pageName,
} from './components/shown-page.js';
import { allowHashChange } from './components/unsaved-warning.js';
import { secondsLeft, tokenBlockEnd, tokenBlockText } from './components/token-block.js';
import { CharactersPage } from './pages/characters.js';
import { DatasetPage } from './pages/dataset.js';
import { GeneratePage } from './pages/generate.js';
import { LoraPage } from './pages/lora.js';
import { ModelsPage } from './pages/models.js';
import { TrainPage } from './pages/train.js';
import { UploadPage } from './pages/upload.js';
import { hashParts, parseRoute, TABS } from './route.js';

const readHash = () => hashParts(window.location.hash);
/** The page the address shows now (read when an error comes: the page that reported it may be gone, and the
 * address changes before the app renders the page it names). */
const pageAtAddress = () => pageKey(parseRoute(readHash()));

/** The route's parts, and whether it changed since the app loaded. */
function useHashRoute(): { parts: string[]; changed: boolean } {
  const [route, setRoute] = useState(() => ({ parts: readHash(), changed: false }));
  useEffect(() => {
    // a page holding an unsaved edit (a dataset caption) asks first; staying puts the old address back
    const onChange = (event: HashChangeEvent) => {
      if (allowHashChange(event.oldURL)) setRoute({ parts: readHash(), changed: true });
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

/** Renders again every second while `ticking` (a countdown, which reads the clock as it renders). */
function useSecondTicks(ticking: boolean): void {
  const [, setTicks] = useState(0);
  useEffect(() => {
    if (!ticking) return;
    const timer = window.setInterval(() => setTicks((ticks) => ticks + 1), 1000);
    return () => window.clearInterval(timer);
  }, [ticking]);
}

/** The character the route names, once loaded: `missing` when the server has no such id. */
interface LoadedCharacter {
  id: string;
  character: Character | null;
  missing: boolean;
}

export function App() {
  const hashRoute = useHashRoute();
  const route = parseRoute(hashRoute.parts);
  const [banner, setBanner] = useState<PageBanner | null>(null);
  const [needsToken, setNeedsToken] = useState(false);
  const [loaded, setLoaded] = useState<LoadedCharacter | null>(null);
  /** When this address's block for wrong tokens ends (ms since the epoch); null when not blocked. */
  const [blockEnd, setBlockEnd] = useState<number | null>(null);
  useSecondTicks(blockEnd !== null);
  // read at each render, not kept from an earlier one (the first render of a block would count from then)
  const now = Date.now();
  const tokenField = useRef<HTMLInputElement>(null);
  /** The page shown now. */
  const page = pageKey(route);
  /** The banner, while the page it was shown on shows (gone with it however the user leaves: shown-page.ts). */
  const error = bannerOnPage(banner, page)?.text ?? null;
  /** An error to show; `from`: the page that reported it (when another page shows now: shown-page.ts). */
  const onError = (e: unknown, from?: ErrorSource) => {
    // a refused token: the prompt says so (the API's "send a Bearer header" text is not for web users)
    if (e instanceof ApiError && e.status === 401) {
      setNeedsToken(true);
      return;
    }
    // blocked for wrong tokens: every request is refused for a while, the right token's too; only the prompt
    const end = e instanceof ApiError ? tokenBlockEnd(e, Date.now()) : null;
    if (end !== null) {
      setBlockEnd(end);
      setNeedsToken(true);
      return;
    }
    const shownKey = pageAtAddress();
    const text = errorBanner(e, errorText(e, e instanceof ApiError ? e.status : undefined), from, shownKey);
    if (text !== null) setBanner({ text, page: shownKey });
  };
  const heading = useRef<HTMLHeadingElement>(null);
  // A server with a token and none stored: only the prompt, from the start (not a page of refused requests).
  // biome-ignore lint/correctness/useExhaustiveDependencies: once
  useEffect(() => {
    api.health().then((health) => {
      if (health.auth && !getToken()) setNeedsToken(true);
    }, onError);
  }, []);
  const characterId =
    route.view === 'character' || route.view === 'no-such-tab' ? route.characterId : undefined;
  const onModels = route.view === 'models';
  /** The tab shown; null on a tab name the app does not have (the not-found view shows instead). */
  const tab = route.view === 'character' ? route.tab : null;
  // Nothing of the previous character is shown (or uploaded to) while another id loads.
  const current = loaded && loaded.id === characterId ? loaded : null;
  const character = current?.character ?? null;
  /** The character whose page shows: none while the token prompt is up (its requests would only be refused). */
  const shown = needsToken ? null : character;
  /** The page shown now, as an error from it names it. */
  const source = (): ErrorSource => ({ key: page, name: pageName(route, character?.name) });
  /** The onError of the page shown now. */
  const onPageShownError = (e: unknown) => onError(e, source());

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the route changes
  useEffect(() => {
    if (!characterId) {
      setLoaded(null);
      return;
    }
    // retried while the server cannot be reached (initial-read.ts): a page opened then loads when it is back
    return readUntilAnswered(
      () => api.character(characterId),
      (found) => setLoaded({ id: characterId, character: found, missing: false }),
      (e: unknown) => {
        if (e instanceof ApiError && e.status === 404) {
          setLoaded({ id: characterId, character: null, missing: true });
        } else onError(e);
      },
    );
  }, [characterId, tab]);
  // Another page shows (a link, Back/Forward, an address typed): the banner of the page left goes, and does not
  // come back with that page; one that came for the page shown now stays.
  useEffect(() => setBanner((shown) => bannerOnPage(shown, page)), [page]);
  // A retried read got its answer: the "Cannot reach the server" banner goes (another error stays).
  useEffect(() => onServerBack(() => setBanner((shown) => (shown?.text === UNREACHABLE ? null : shown))), []);

  // After a tab switch from the nav (keyboard or mouse), focus goes to the new page's heading; so it does after
  // a route change that took the focused element away with its page (Create character: it was left on <body>).
  // biome-ignore lint/correctness/useExhaustiveDependencies: on tab changes only
  useEffect(() => {
    const lost = hashRoute.changed && focusLost(document);
    if (document.activeElement?.closest('nav') || lost) heading.current?.focus();
  }, [tab, character?.id]);
  // The prompt replaces the page (also after a wrong token's reload): its field has the focus, typing goes there.
  useEffect(() => {
    if (needsToken) tokenField.current?.focus();
  }, [needsToken]);
  /** A character page's error: a 404 (its dataset or itself deleted elsewhere) re-reads the character, and the
   * "No such character" view shows when it is gone (page-error.ts); else the banner. */
  const onPageError = (e: unknown) => {
    const id = characterId;
    if (!id) return onPageShownError(e);
    const from = source();
    void handlePageError(e, () => api.character(id), {
      onGone: () => setLoaded({ id, character: null, missing: true }),
      showError: (shown) => onError(shown, from),
    });
  };
  const tabLabel = TABS.find(([id]) => id === tab)?.[1];
  const blockedS = blockEnd === null ? 0 : secondsLeft(blockEnd, now);
  // The block is over: a stored token is tried again (unless the user is typing another one).
  useEffect(() => {
    if (blockEnd !== null && blockedS === 0 && getToken() && !tokenField.current?.value) {
      window.location.reload();
    }
  }, [blockEnd, blockedS]);

  /** Starting the next action (a button, a form, a dropped file, an edit) clears the last action's error first;
   * capture runs before the action's own handler, which may set it again. */
  const clearError = () => setBanner(null);
  const clearOnButton = (event: SyntheticEvent) => {
    if ((event.target as Element).closest?.('button, .button, input[type=file]')) clearError();
  };

  return (
    <>
      <header>
        <a href="#/" className="brand">
          toonlora
        </a>
        <a
          href="#/models"
          className={`header-link${onModels ? ' active' : ''}`}
          aria-current={onModels ? 'page' : undefined}
        >
          Models
        </a>
        {getToken() && (
          <button
            type="button"
            className="secondary forget-token"
            data-testid="forget-token"
            title="Remove the stored token and this browser's session (on a shared machine)"
            onClick={() => {
              forgetToken()
                .catch(() => {})
                .then(() => window.location.reload());
            }}
          >
            Forget token
          </button>
        )}
        {shown && (
          <nav>
            <span className="who">
              {shown.name} <code>{shown.trigger}</code>
            </span>
            {TABS.map(([id, label]) => (
              <a
                key={id}
                href={`#/c/${shown.id}/${id}`}
                className={id === tab ? 'active' : ''}
                aria-current={id === tab ? 'page' : undefined}
              >
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
            className="panel token-form"
            data-testid="token-form"
            onSubmit={(e) => {
              e.preventDefault();
              setToken(new FormData(e.currentTarget).get('token') as string);
              window.location.reload();
            }}
          >
            <h1>Token needed</h1>
            <p
              className={getToken() || blockEnd !== null ? 'field-warning' : undefined}
              data-testid="token-prompt"
            >
              {blockEnd === null ? tokenPromptText(getToken()) : tokenBlockText(blockEnd, now)}
            </p>
            <label>
              Token{' '}
              <input
                ref={tokenField}
                name="token"
                type="password"
                autoComplete="current-password"
                defaultValue=""
              />
            </label>{' '}
            <button type="submit" disabled={blockedS > 0}>
              Use
            </button>
          </form>
        )}
        {error && (
          <div className="error" role="alert">
            {error}
          </div>
        )}
        {shown && tabLabel && (
          <h1 className="page-title" ref={heading} tabIndex={-1}>
            {shown.name}: {tabLabel}
          </h1>
        )}
        {!needsToken && current?.missing && (
          <div className="panel" data-testid="not-found">
            <h1>No such character</h1>
            <p>
              This server has no character <code>{characterId}</code>: the link may be old, or the data folder
              another one.
            </p>
            <a href="#/">← Back to the characters</a>
          </div>
        )}
        {shown && route.view === 'no-such-tab' && (
          <div className="panel" data-testid="not-found">
            <h1>No such page</h1>
            <p>
              {shown.name} has no page <code>{route.tab}</code>: the link may be mistyped or from another
              version.
            </p>
            <a href={`#/c/${shown.id}/upload`}>← {shown.name}'s screenshots</a>
          </div>
        )}
        {!needsToken && route.view === 'no-such-page' && (
          <div className="panel" data-testid="not-found">
            <h1>No such page</h1>
            <p>
              This app has no page <code>#/{route.path}</code>: the link may be mistyped or from another
              version.
            </p>
            <a href="#/">← Back to the characters</a>
          </div>
        )}
        {!needsToken && onModels && <ModelsPage onError={onPageShownError} />}
        {!needsToken && route.view === 'characters' && <CharactersPage onError={onPageShownError} />}
        {shown && tab === 'upload' && (
          <UploadPage
            character={shown}
            onError={onPageError}
            onGone={() => setLoaded({ id: shown.id, character: null, missing: true })}
          />
        )}
        {shown && tab === 'dataset' && <DatasetPage character={shown} onError={onPageError} />}
        {shown && tab === 'train' && <TrainPage character={shown} onError={onPageError} />}
        {shown && tab === 'lora' && <LoraPage character={shown} onError={onPageError} />}
        {shown && tab === 'generate' && <GeneratePage character={shown} onError={onPageError} />}
      </main>
    </>
  );
}

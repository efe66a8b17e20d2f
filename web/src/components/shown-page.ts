// web/src/components/shown-page.ts — which page a route shows, as a key, and what the app does with an error a page
// reports after the user went on to another page. A read's or a download's failure (a list, a file) is dropped
// there: its banner was about a page no longer shown (a download refused after the user left the LoRA tab showed
// on the Generate tab). Anything else (a write: an upload batch refused, a "Delete this version" or a LoRA delete
// refused) is shown, naming the page it came from: dropped, the user believed it had worked. Reads mark their
// failures (asReadFailure: readNewest, readUntilAnswered, DownloadLink); an error nobody marked is shown. A LoRA
// page's address naming a LoRA (`#/c/<id>/lora/<loraId>`) is the same page whichever LoRA it names. A banner goes
// with the page it was shown on, however the user leaves it (a link, Back/Forward, an address typed): before, it
// stayed until the character or the tab changed, and a Pull refused on Models showed on Characters, naming no page.
import { type Route, TABS } from '../route.js';

/** The page `route` shows: its view, with the character and tab for a character's page. */
export function pageKey(route: Route): string {
  switch (route.view) {
    case 'character':
    case 'no-such-tab':
      return `${route.view}/${route.characterId}/${route.tab}`;
    case 'no-such-page':
      return `${route.view}/${route.path}`;
    default:
      return route.view;
  }
}

/** The page `route` shows, in the words of its heading ("Mina: Screenshots"); `characterName` when loaded. */
export function pageName(route: Route, characterName?: string): string {
  switch (route.view) {
    case 'characters':
      return 'Characters';
    case 'models':
      return 'Models';
    case 'character': {
      const tab = TABS.find(([id]) => id === route.tab)?.[1] ?? route.tab;
      return `${characterName ?? route.characterId}: ${tab}`;
    }
    case 'no-such-tab':
      return `${characterName ?? route.characterId}: ${route.tab}`;
    case 'no-such-page':
      return `#/${route.path}`;
  }
}

/** The page an error came from: its key (pageKey) and its name (pageName). */
export interface ErrorSource {
  key: string;
  name: string;
}

const readFailures = new WeakSet<object>();

/** Marks `error` as a read's or a download's failure (dropped once its page is gone); returns it. */
export function asReadFailure<E>(error: E): E {
  if (typeof error === 'object' && error !== null) readFailures.add(error);
  return error;
}

/** `report`, given a read's failure: marks each error it hears (asReadFailure) before handing it on. */
export function readFailureReport(report: (error: unknown) => void): (error: unknown) => void {
  return (error) => report(asReadFailure(error));
}

/** Whether `error` was marked by asReadFailure. */
export function isReadFailure(error: unknown): boolean {
  return typeof error === 'object' && error !== null && readFailures.has(error);
}

/**
 * The banner for `error` (its words: `text`) reported from page `from` (undefined: the app's own) while the page
 * `shownKey` shows: `text` from the page shown now or the app; from a page gone, null for a read's failure, and for
 * anything else `text` naming that page ("… (from Mina: Screenshots)").
 */
export function errorBanner(
  error: unknown,
  text: string,
  from: ErrorSource | undefined,
  shownKey: string,
): string | null {
  if (from === undefined || from.key === shownKey) return text;
  if (isReadFailure(error)) return null;
  return `${text} (from ${from.name})`;
}

/** A banner's words, and the page shown when it came (pageKey). */
export interface PageBanner {
  text: string;
  page: string;
}

/** `banner` while the page it was shown on shows (`shownKey`); null once the user went on to another page. */
export function bannerOnPage(banner: PageBanner | null, shownKey: string): PageBanner | null {
  return banner?.page === shownKey ? banner : null;
}

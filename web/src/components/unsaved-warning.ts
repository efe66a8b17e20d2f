// web/src/components/unsaved-warning.ts — asks before leaving a page that holds an edit not saved: the
// browser's "Leave site?" prompt on reload / close, and a confirm on in-app navigation (a nav link, the Back
// button: a hash change, which `beforeunload` does not see). A dataset caption typed but not saved was lost
// without a word on both.
import { useEffect } from 'react';

/** What a `beforeunload` listener touches of its event. */
export interface BeforeUnloadLike {
  preventDefault(): void;
  returnValue: unknown;
}

/** The question a hash change asks while an edit is not saved (OK leaves and drops it). */
export const LEAVE_QUESTION = 'A caption you edited is not saved. Leave this page and lose the edit?';

/**
 * Asks before the page unloads when `unsaved`: preventDefault is the standard way, a non-undefined returnValue
 * the one older Chrome / Safari still need. Returns whether it asked.
 */
export function askBeforeUnload(event: BeforeUnloadLike, unsaved: boolean): boolean {
  if (!unsaved) return false;
  event.preventDefault();
  event.returnValue = '';
  return true;
}

/**
 * Whether a hash change may go on: always with no unsaved edit; else as the user answers `ask` (asked once).
 */
export function mayLeave(unsavedEdits: number, ask: (question: string) => boolean): boolean {
  return unsavedEdits === 0 || ask(LEAVE_QUESTION);
}

/** How many mounted editors hold an unsaved edit now (each useUnsavedWarning(true) counts one). */
let unsavedEdits = 0;

/**
 * For the hash router, on `hashchange`: true when the new route may show. When the user chose to stay, the
 * address goes back to `oldURL` (replaceState: no second hashchange, no new history entry) and the page with
 * the edit stays.
 */
export function allowHashChange(oldURL: string): boolean {
  if (mayLeave(unsavedEdits, (question) => window.confirm(question))) return true;
  window.history.replaceState(window.history.state, '', oldURL);
  return false;
}

/**
 * While `unsaved`, a reload, a closed tab or a typed address asks first (the listener goes with the edit), and
 * so does in-app navigation (allowHashChange).
 */
export function useUnsavedWarning(unsaved: boolean): void {
  useEffect(() => {
    if (!unsaved) return;
    const listener = (event: BeforeUnloadEvent) => askBeforeUnload(event, true);
    unsavedEdits += 1;
    window.addEventListener('beforeunload', listener);
    return () => {
      unsavedEdits -= 1;
      window.removeEventListener('beforeunload', listener);
    };
  }, [unsaved]);
}

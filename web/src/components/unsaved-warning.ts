// web/src/components/unsaved-warning.ts — the browser's "Leave site? Changes you made may not be saved" prompt
// while a page holds an edit that is not saved (a dataset caption typed but not saved was lost on reload).
import { useEffect } from 'react';

/** What a `beforeunload` listener touches of its event. */
export interface BeforeUnloadLike {
  preventDefault(): void;
  returnValue: unknown;
}

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

/** While `unsaved`, a reload, a closed tab or a typed address asks first (the listener goes with the edit). */
export function useUnsavedWarning(unsaved: boolean): void {
  useEffect(() => {
    if (!unsaved) return;
    const listener = (event: BeforeUnloadEvent) => askBeforeUnload(event, true);
    window.addEventListener('beforeunload', listener);
    return () => window.removeEventListener('beforeunload', listener);
  }, [unsaved]);
}

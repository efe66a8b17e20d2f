// web/src/components/page-error.ts — what the app does with an error a character's page reports: a 404 (its
// dataset, or the character itself, deleted elsewhere while the page was open) makes it read the character again,
// and if that is gone too the app shows "No such character" (as Upload does when its stream ends), not the API's
// "character <id> not found" banner; any other error, or a 404 for something else of a character still there, is
// the banner's. Pure but for the read it is given.
import { ApiError } from '../api.js';

/** Whether an error is the server's 404 (a record not found). */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

/**
 * Handles one page error: `showError` for anything but a 404; on a 404, `readCharacter` decides: it answers 404
 * too -> `onGone`; it answers -> `showError` with the page's error; it fails otherwise -> `showError` with that.
 */
export async function handlePageError(
  error: unknown,
  readCharacter: () => Promise<unknown>,
  { onGone, showError }: { onGone: () => void; showError: (error: unknown) => void },
): Promise<void> {
  if (!isNotFound(error)) return showError(error);
  try {
    await readCharacter();
  } catch (reread) {
    return isNotFound(reread) ? onGone() : showError(reread);
  }
  showError(error);
}

// web/src/components/delete-request.ts — one DELETE the user asked for from a page (a generated image, a finished
// job): it resolves true once the thing is gone (a 404: gone already, another tab deleted it), and false when the
// server refused it, after handing the error to the page unmarked (a write's failure: shown even after the user went
// on to another page, naming the page it came from, shown-page.ts).
import { ApiError, request } from '../api.js';

/** Sends DELETE `url`: true once the thing is gone (a 404: gone already), false when refused (`onError` told). */
export async function deletedAt(url: string, onError: (error: unknown) => void): Promise<boolean> {
  try {
    await request<void>('DELETE', url);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return true;
    onError(error);
    return false;
  }
}

// web/src/components/image-failure.ts — what a thumbnail that failed to load does besides its placeholder: it
// asks the API once why (an <img> gets no status), and a refused token (401, forgotten in another tab) or a
// block for wrong tokens (429) goes to the app's onError, which brings up the token prompt; the images of a
// page that all fail at once share one probe. Before, the tab showed each image's alt text until its next request.
import { ApiError, checkDownload } from '../api.js';

/** Whether an image's failure is the token's: the app's token prompt is the way on, not a placeholder alone. */
export function isTokenFailure(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 401 || error.status === 429);
}

/**
 * A prober of failed images over `probe` (a HEAD, or GET for the error, of the image's URL): while one probe is
 * on its way, other failures wait for it rather than each asking; `onTokenFailure` is called once per probe.
 * Resolves true when the probe found the image readable with the stored token: the image failed for a session
 * cookie the server had ended (a restart), which that probe renewed, so it is worth loading once more.
 */
export function imageFailureProber(probe: (url: string) => Promise<void>) {
  let inFlight: Promise<boolean> | null = null;
  return (url: string, onTokenFailure: (error: unknown) => void): Promise<boolean> => {
    if (inFlight) return inFlight;
    inFlight = probe(url)
      .then(
        () => true,
        (error: unknown) => {
          // another cause (a file gone: 404) leaves only the placeholder
          if (isTokenFailure(error)) onTokenFailure(error);
          return false;
        },
      )
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
}

/** The page's prober: the API with the stored token (none after "Forget token"). */
export const probeFailedImage = imageFailureProber(checkDownload);

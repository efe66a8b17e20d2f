// web/src/components/image-failure.test.ts — a thumbnail that failed to load asks the API why, once for all the
// thumbnails failing together: a refused token goes to the app's token prompt, another cause does not, and an
// image the probe finds readable (its session renewed) is loaded again.
import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api.js';
import { imageFailureProber, isTokenFailure } from './image-failure.js';

describe('a failed image', () => {
  it('is a token failure for a 401 or 429, not for a file gone or a network error', () => {
    expect(isTokenFailure(new ApiError(401, 'TL_ERR_AUTH', 'x'))).toBe(true);
    expect(isTokenFailure(new ApiError(429, 'TL_ERR_AUTH_BLOCKED', 'x'))).toBe(true);
    expect(isTokenFailure(new ApiError(404, 'TL_ERR_NOT_FOUND', 'x'))).toBe(false);
    expect(isTokenFailure(new TypeError('Failed to fetch'))).toBe(false);
  });

  it('probes once for the images that fail together, and a 401 reaches onTokenFailure once', async () => {
    const refused = new ApiError(401, 'TL_ERR_AUTH', 'Send Authorization: Bearer <token>');
    const probe = vi.fn(() => Promise.reject(refused));
    const prober = imageFailureProber(probe);
    const onTokenFailure = vi.fn();
    const readable = await Promise.all(
      ['/api/a', '/api/b', '/api/c'].map((url) => prober(url, onTokenFailure)),
    );
    expect(readable).toEqual([false, false, false]);
    expect(probe).toHaveBeenCalledTimes(1);
    expect(onTokenFailure).toHaveBeenCalledTimes(1);
    expect(onTokenFailure).toHaveBeenCalledWith(refused);
    // a later failure (after the token was given again) probes again
    await prober('/api/d', onTokenFailure);
    expect(probe).toHaveBeenCalledTimes(2);
  });

  it('is loaded again when the probe answers (a session cookie the probe renewed), not when it fails otherwise', async () => {
    const onTokenFailure = vi.fn();
    await expect(imageFailureProber(() => Promise.resolve())('/api/a', onTokenFailure)).resolves.toBe(true);
    await expect(
      imageFailureProber(() => Promise.reject(new ApiError(404, 'TL_ERR_NOT_FOUND', 'gone')))(
        '/api/b',
        onTokenFailure,
      ),
    ).resolves.toBe(false);
    expect(onTokenFailure).not.toHaveBeenCalled();
  });
});

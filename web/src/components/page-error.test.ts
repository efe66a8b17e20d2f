// web/src/components/page-error.test.ts — a character page's 404 (its dataset or the character deleted elsewhere)
// re-reads the character and shows "No such character" when it is gone, not the API's "not found" banner; and
// the banner's 404 text has no "List them with GET /api/..." line for a web user.
import { describe, expect, it } from 'vitest';
import { ApiError } from '../api.js';
import { errorText } from './error-text.js';
import { handlePageError } from './page-error.js';

const notFound = (message: string) => new ApiError(404, 'TL_ERR_NOT_FOUND', message);

async function outcome(error: unknown, reread: () => Promise<unknown>) {
  const seen: string[] = [];
  await handlePageError(error, reread, {
    onGone: () => seen.push('gone'),
    showError: (e) => seen.push(`error: ${(e as Error).message}`),
  });
  return seen;
}

describe("a character page's error", () => {
  it('a 404 whose character is gone too shows "No such character", not the banner', async () => {
    const dataset = notFound(
      'dataset d1 not found. List them with GET /api/characters/<characterId>/datasets.',
    );
    expect(await outcome(dataset, () => Promise.reject(notFound('character c1 not found.')))).toEqual([
      'gone',
    ]);
    const character = notFound('character c1 not found. List them with GET /api/characters.');
    expect(await outcome(character, () => Promise.reject(character))).toEqual(['gone']);
  });

  it('a 404 of a character still there, or any other error, is the banner', async () => {
    expect(await outcome(notFound('dataset d1 not found.'), () => Promise.resolve({ id: 'c1' }))).toEqual([
      'error: dataset d1 not found.',
    ]);
    const other = new ApiError(409, 'TL_ERR_CONFLICT', 'busy');
    let reads = 0;
    expect(await outcome(other, () => Promise.resolve(++reads))).toEqual(['error: busy']);
    expect(reads).toBe(0);
    // the re-read could not tell (the server went down): its error is shown
    expect(await outcome(notFound('x'), () => Promise.reject(new TypeError('Failed to fetch')))).toEqual([
      'error: Failed to fetch',
    ]);
  });

  it("a 404's banner text has no API route to list them with", () => {
    expect(
      errorText(
        new Error('dataset d1 not found. List them with GET /api/characters/<characterId>/datasets.'),
        404,
      ),
    ).toBe('dataset d1 not found.');
    expect(errorText(new Error('character c1 not found. List them with GET /api/characters.'), 404)).toBe(
      'character c1 not found.',
    );
    expect(errorText(new Error('job j1 not found. List them with GET /api/jobs.'), 404)).toBe(
      'job j1 not found.',
    );
  });
});

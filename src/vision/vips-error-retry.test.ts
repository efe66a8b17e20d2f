// src/vision/vips-error-retry.test.ts — a read whose libvips text was lost to a concurrent read is run once more
// alone (after the reads in flight) and answers the real text; other failures are not retried.
import { describe, expect, it } from 'vitest';
import { lostVipsMessage, withVipsErrorText } from './vips-error-retry.js';

/** A promise and the functions that settle it. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve = (_value: T): void => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('lostVipsMessage', () => {
  it('is "Unknown error" or empty, under bad-seek lines or not; not a real cause', () => {
    expect(lostVipsMessage(new Error('Unknown error'))).toBe(true);
    expect(lostVipsMessage(new Error(''))).toBe(true);
    expect(lostVipsMessage(new Error('x.heic: bad seek to 70530\nUnknown error'))).toBe(true);
    expect(
      lostVipsMessage(new Error('heif: Support for this compression format has not been built in: HEVC')),
    ).toBe(false);
    expect(lostVipsMessage(new Error('x.heic: bad seek to 70530\nheif: Invalid input'))).toBe(false);
  });
});

describe('withVipsErrorText', () => {
  it('runs a read that failed with "Unknown error" once more, alone, and answers the real text', async () => {
    const other = deferred<string>();
    const events: string[] = [];
    const slow = withVipsErrorText(async () => {
      const value = await other.promise;
      events.push('other read done');
      return value;
    });
    let calls = 0;
    const failing = withVipsErrorText(async () => {
      calls++;
      events.push(`bad read ${calls}`);
      throw new Error(calls === 1 ? 'Unknown error' : 'heif: Support for HEVC has not been built in');
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    // the retry waits for the read in flight
    expect(events).toEqual(['bad read 1']);
    other.resolve('good');
    await expect(failing).rejects.toThrow('heif: Support for HEVC has not been built in');
    await expect(slow).resolves.toBe('good');
    expect(events).toEqual(['bad read 1', 'other read done', 'bad read 2']);
  });

  it('a read starting while the retry runs waits for it', async () => {
    const events: string[] = [];
    let calls = 0;
    const failing = withVipsErrorText(async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      events.push(`bad read ${calls}`);
      throw new Error(calls === 1 ? 'Unknown error' : 'png: premature end');
    });
    await new Promise((resolve) => setTimeout(resolve, 30)); // the first try failed; the retry is running
    const later = withVipsErrorText(async () => {
      events.push('later read');
      return 1;
    });
    await expect(failing).rejects.toThrow('png: premature end');
    await later;
    expect(events).toEqual(['bad read 1', 'bad read 2', 'later read']);
  });

  it('does not retry a failure that has its text, nor a success', async () => {
    let calls = 0;
    await expect(
      withVipsErrorText(async () => {
        calls++;
        throw new Error('VipsJpeg: premature end of JPEG image');
      }),
    ).rejects.toThrow('premature end');
    expect(calls).toBe(1);
    await expect(withVipsErrorText(async () => 7)).resolves.toBe(7);
  });
});

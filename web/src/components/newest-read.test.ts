// web/src/components/newest-read.test.ts — only the newest read's answer is shown, whatever order the answers come
// in; a user's pick drops the answers of reads begun before it; a failure of an older read is dropped too, and the
// newest's is marked as a read's.
import { describe, expect, it } from 'vitest';
import { ifNewest, newestReads, readNewest } from './newest-read.js';
import { isReadFailure } from './shown-page.js';

/** A promise with its resolve / reject at hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('newestReads', () => {
  it('keeps the newest read only, also when the older answer comes last', async () => {
    const reads = newestReads();
    const older = deferred<string>();
    const newer = deferred<string>();
    const shown: string[] = [];
    const first = readNewest(
      reads,
      () => older.promise,
      (a) => shown.push(a),
      () => {},
    );
    const second = readNewest(
      reads,
      () => newer.promise,
      (a) => shown.push(a),
      () => {},
    );
    newer.resolve('after both removes');
    await second;
    older.resolve('after the first remove');
    await first;
    expect(shown).toEqual(['after both removes']);
  });

  it('drops an answer to a read begun before a pick', () => {
    const reads = newestReads();
    const newest = reads.begin();
    expect(newest()).toBe(true);
    reads.supersede();
    expect(newest()).toBe(false);
    expect(reads.begin()()).toBe(true);
  });

  it("drops an older read's failure, reports the newest's", async () => {
    const reads = newestReads();
    const errors: unknown[] = [];
    const older = deferred<string>();
    const first = readNewest(
      reads,
      () => older.promise,
      () => {},
      (e) => errors.push(e),
    );
    await readNewest(
      reads,
      () => Promise.reject(new Error('newest failed')),
      () => {},
      (e) => errors.push(e),
    );
    older.reject(new Error('older failed'));
    await first;
    expect(errors.map((e) => (e as Error).message)).toEqual(['newest failed']);
    // a read's failure: dropped by the app once its page is gone (shown-page.ts)
    expect(isReadFailure(errors[0])).toBe(true);
  });
});

describe('ifNewest', () => {
  it('hands on the answer while no read began since, drops it after', () => {
    const reads = newestReads();
    const shown: string[] = [];
    const opening = ifNewest(reads, (answer: string) => shown.push(answer));
    opening('opening list');
    const next = reads.begin();
    opening('opening list, retried late');
    expect(next()).toBe(true);
    expect(shown).toEqual(['opening list']);
  });
});

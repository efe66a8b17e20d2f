// web/src/components/newest-read.test.ts — an answer older than one shown is dropped, whatever order the answers
// come in; a read that failed does not block an older read's answer (the opening read's, retried until the server
// is back); a failure of an older read is dropped, and the newest's is marked as a read's; a write's ticket says
// whether a read began since it.
import { describe, expect, it } from 'vitest';
import { ifNewest, type NewestReads, newestReads, readNewest } from './newest-read.js';
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

/** Starts reads of `reads` whose answers are pushed on `shown` (failures dropped). */
function readsInto(reads: NewestReads, shown: string[]) {
  return (answer: Promise<string>) =>
    readNewest(
      reads,
      () => answer,
      (a) => shown.push(a),
      () => {},
    );
}

/** Two reads begun one after the other, their answers (their names) coming in `order`: what showed. */
async function answersInOrder(order: readonly ('older' | 'newer')[]): Promise<string[]> {
  const shown: string[] = [];
  const read = readsInto(newestReads(), shown);
  const answers = { older: deferred<string>(), newer: deferred<string>() };
  const done = { older: read(answers.older.promise), newer: read(answers.newer.promise) };
  for (const which of order) {
    answers[which].resolve(which);
    await done[which];
  }
  return shown;
}

describe('newestReads', () => {
  it('keeps the newest read only, also when the older answer comes last', async () => {
    expect(await answersInOrder(['newer', 'older'])).toEqual(['newer']);
  });

  it("shows an older read's answer that comes first, then the newer one's", async () => {
    expect(await answersInOrder(['older', 'newer'])).toEqual(['older', 'newer']);
  });

  it("shows an older read's answer when the newer read failed", async () => {
    const shown: string[] = [];
    const read = readsInto(newestReads(), shown);
    const older = deferred<string>();
    const first = read(older.promise);
    await read(Promise.reject(new Error('server down')));
    older.resolve('the list, once the server is back');
    await first;
    expect(shown).toEqual(['the list, once the server is back']);
  });

  it("drops an older read's failure, reports the newest's", async () => {
    const reads = newestReads();
    const errors: unknown[] = [];
    const older = deferred<string>();
    const readFailing = (answer: Promise<string>) =>
      readNewest(
        reads,
        () => answer,
        () => {},
        (e) => errors.push(e),
      );
    const first = readFailing(older.promise);
    await readFailing(Promise.reject(new Error('newest failed')));
    older.reject(new Error('older failed'));
    await first;
    expect(errors.map((e) => (e as Error).message)).toEqual(['newest failed']);
    // a read's failure: dropped by the app once its page is gone (shown-page.ts)
    expect(isReadFailure(errors[0])).toBe(true);
  });

  it("a ticket is the newest until another read begins, whatever the other's answer", () => {
    const reads = newestReads();
    const write = reads.begin();
    expect(write.newest()).toBe(true);
    const read = reads.begin();
    expect(write.newest()).toBe(false);
    expect(read.newest()).toBe(true);
    expect(write.show()).toBe(true); // no newer answer showed yet
    expect(read.show()).toBe(true);
    expect(write.show()).toBe(false);
  });
});

describe('ifNewest', () => {
  it("drops the answer once a newer read's answer showed", async () => {
    const reads = newestReads();
    const shown: string[] = [];
    const opening = ifNewest(reads, (answer: string) => shown.push(answer));
    await readsInto(reads, shown)(Promise.resolve('after the remove'));
    opening('opening list, retried late');
    expect(shown).toEqual(['after the remove']);
  });

  it('hands on the answer after a newer read failed (the page opened while the server was down)', async () => {
    const reads = newestReads();
    const shown: string[] = [];
    const opening = ifNewest(reads, (answer: string) => shown.push(answer));
    await readsInto(reads, shown)(Promise.reject(new Error('server down')));
    opening('opening list, retried once the server is back');
    expect(shown).toEqual(['opening list, retried once the server is back']);
  });
});

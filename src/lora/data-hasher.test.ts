// Tests for data-hasher.ts: chunked hashing agrees with a one-shot sha256 over the same bytes and
// takes the legacy window at the right place.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inThreadHasher } from './data-hasher.js';
import { seededRandom } from './lora-fixtures.js';

describe('data hashers', () => {
  it('chunked hashing gives the one-shot sha256 and the legacy window hash', () => {
    const random = seededRandom(5);
    const total = 3 * 1024 * 1024 + 123;
    const data = Uint8Array.from({ length: total }, () => Math.floor((random() + 1) * 128));
    const window = { start: 1_000_000, end: 1_065_536 };
    const expected = {
      sha256: createHash('sha256').update(data).digest('hex'),
      legacy: createHash('sha256').update(data.subarray(window.start, window.end)).digest('hex').slice(0, 8),
    };
    const hasher = inThreadHasher(window);
    let position = 0;
    while (position < total) {
      const size = Math.min(total - position, 1 + Math.floor((random() + 1) * 300_000));
      hasher.update(data.subarray(position, position + size), position);
      position += size;
    }
    expect(hasher.digest()).toEqual(expected);
  });
});

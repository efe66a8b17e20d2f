// src/value-preview.test.ts — the value an error echoes: the first 60 characters of its JSON, written only that far,
// so a value nested 100 000 deep answers a 400, not a stack overflow (a 500).
import { describe, expect, it } from 'vitest';
import { valuePreview } from './value-preview.js';

describe('valuePreview', () => {
  it('is JSON.stringify cut to 60 characters for ordinary values', () => {
    const values: unknown[] = [
      '',
      'a,b',
      'x'.repeat(200),
      '\n\u0000"'.repeat(40),
      0,
      -1.5,
      true,
      null,
      [],
      {},
      [1, 'two', null, { three: [3] }],
      { name: 'Mina', trigger: 'a b', nested: { list: Array.from({ length: 50 }, (_, i) => i) } },
      Array.from({ length: 100 }, () => ({})),
      { ['k'.repeat(100)]: 1 },
    ];
    for (const value of values)
      expect(valuePreview(value), JSON.stringify(value)).toBe(JSON.stringify(value).slice(0, 60));
  });

  it('never throws: a value nested 200 000 deep is its first 60 characters', () => {
    const depth = 200_000;
    const deep = JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(valuePreview(deep)).toBe('['.repeat(60));
    const deepObject = JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
    expect(valuePreview(deepObject)).toBe('{"a":'.repeat(12));
  });
});

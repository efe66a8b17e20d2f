// src/schemas/issue-words.test.ts — zod's own issues in words ("must be at least 1", not "Too small: expected number
// to be >=1"); a schema's own message still wins; an issue with no words keeps zod's.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { issueWords, safeParseInWords } from './issue-words.js';

/** The message of the first issue `schema` finds in `data`, parsed with issueWords. */
function firstMessage(schema: z.ZodType, data: unknown): string | undefined {
  return safeParseInWords(schema, data).error?.issues[0]?.message;
}

describe('issueWords', () => {
  it.each([
    ['a number below its minimum', z.number().int().min(1), 0, 'must be at least 1'],
    ['a number above its maximum', z.number().max(4), 9, 'must be at most 4'],
    ['a positive number given 0', z.number().positive(), 0, 'must be greater than 0'],
    ['a number not below its exclusive bound', z.number().lt(5), 5, 'must be less than 5'],
    ['a fraction where a whole number goes', z.number().int(), 1.5, 'expected a whole number'],
    ['text where a number goes', z.number(), 'many', 'expected a number'],
    ['a number where text goes', z.string(), 3, 'expected text (a quoted string)'],
    ['text where true / false goes', z.boolean(), 'no', 'expected true or false'],
    ['a value where a list goes', z.array(z.number()), 1, 'expected a list'],
    ['a value where a section goes', z.object({}), 5, 'expected an object (a section of settings)'],
    ['a missing value', z.object({ a: z.number() }), {}, 'required'],
    ['an empty text', z.string().min(1), '', 'must not be empty'],
    ['a text too short', z.string().min(3), 'ab', 'must be at least 3 characters long'],
    ['a text too long', z.string().max(1), 'ab', 'must be at most 1 character long'],
    ['an empty list', z.array(z.number()).min(1), [], 'must list at least one item'],
    ['a list too long', z.array(z.number()).max(2), [1, 2, 3], 'must list at most 2 items'],
    ['a size not a multiple of 8', z.number().multipleOf(8), 100, 'must be a multiple of 8'],
    ['an unknown choice', z.enum(['a', 'b', 'c']), 'd', 'must be one of "a", "b" or "c"'],
    ['another value than the one allowed', z.literal('auto'), 'x', 'expected "auto"'],
  ])('%s', (_, schema, data, words) => {
    expect(firstMessage(schema, data)).toBe(words);
  });

  it("leaves a schema's own message as it is", () => {
    expect(firstMessage(z.string().min(1, { error: 'a name cannot be blank' }), '')).toBe(
      'a name cannot be blank',
    );
  });

  it("keeps zod's words for an issue it has none for", () => {
    expect(issueWords({ code: 'invalid_union', errors: [], input: 1 } as never)).toBeUndefined();
    expect(firstMessage(z.union([z.literal('a'), z.number()]), 'x')).toBe('Invalid input');
  });
});

// src/schemas/issue-words.ts — how a zod issue reads to a user: words for zod's own issues ("must be at least 1",
// not "Too small: expected number to be >=1"), given to a parse as its error map, and the marker of a custom issue
// whose message already names the value and the fix (so the formatters add neither again). Pure.
import type { z } from 'zod';

/**
 * The key of a custom zod issue's `params` that marks its message as whole: it names the value and says what to
 * do, so the formatters (config/load-config.ts, issue-lines.ts) add neither `, got <value>` nor
 * `Set <key>.` after it.
 */
export const WHOLE_MESSAGE = 'wholeMessage';

/** Whether `issue` is a custom issue marked {@link WHOLE_MESSAGE}. */
export function isWholeMessage(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.[WHOLE_MESSAGE] === true;
}

/** `1 item`, `3 items`. */
function countOf(count: number | bigint, noun: string): string {
  return `${count} ${noun}${Number(count) === 1 ? '' : 's'}`;
}

type Bound = { origin: string; inclusive?: boolean | undefined };

/** A lower (`side` at least) or upper (at most) bound of a number, a text's length or a list's size, in words. */
function boundWords(issue: Bound, limit: number | bigint, side: 'least' | 'most'): string | undefined {
  const { origin, inclusive } = issue;
  if (origin === 'number' || origin === 'int' || origin === 'bigint') {
    if (inclusive === false) return `must be ${side === 'least' ? 'greater' : 'less'} than ${limit}`;
    return `must be at ${side} ${limit}`;
  }
  if (origin === 'string') {
    if (side === 'least' && Number(limit) === 1) return 'must not be empty';
    return `must be at ${side} ${countOf(limit, 'character')} long`;
  }
  if (origin === 'array' || origin === 'set') {
    if (side === 'least' && Number(limit) === 1) return 'must list at least one item';
    return `must list at ${side} ${countOf(limit, 'item')}`;
  }
  return undefined;
}

const EXPECTED_TYPE: Readonly<Record<string, string>> = {
  number: 'expected a number',
  int: 'expected a whole number',
  bigint: 'expected a whole number',
  string: 'expected text (a quoted string)',
  boolean: 'expected true or false',
  array: 'expected a list',
  object: 'expected an object (a section of settings)',
};

/** `"cosine"`, `"cosine" or "linear"`, `"a", "b" or "c"`. */
function oneOf(values: readonly unknown[]): string {
  const words = values.map((value) => JSON.stringify(value) ?? String(value));
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/**
 * An error map for zod's own issues (pass it as a parse's `error`): what is wrong in words, without the value (each
 * formatter adds `, got <value>`). A schema's own message wins over it (zod asks the schema first); undefined for
 * an issue it has no words for, which keeps zod's.
 */
export function issueWords(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'too_small':
      return boundWords(issue, issue.minimum, 'least');
    case 'too_big':
      return boundWords(issue, issue.maximum, 'most');
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_type':
      return issue.input === undefined ? 'required' : EXPECTED_TYPE[issue.expected];
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${oneOf(issue.values)}`
        : `must be one of ${oneOf(issue.values)}`;
    default:
      return undefined;
  }
}

/** `schema.safeParse(data)` with {@link issueWords} for zod's own issues. */
export function safeParseInWords<S extends z.ZodType>(
  schema: S,
  data: unknown,
): z.ZodSafeParseResult<z.output<S>> {
  return schema.safeParse(data, { error: issueWords });
}

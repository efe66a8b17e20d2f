// src/jobs/issue-lines.test.ts — zod issues in a request's words: the field under its part, zod's own issues in
// issue-words.ts's words, a custom issue's API words over its CLI ones, and `got <value>` by its first 60 characters,
// left out where there is no value or the message names it already.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatIssues, issueField } from './issue-lines.js';
import { API_MESSAGE } from './schemas/config.js';
import { safeParseInWords, WHOLE_MESSAGE } from './schemas/issue-words.js';

/** The issues of `data` by `schema`, zod's own in issue-words.ts's words. */
function issuesOf(schema: z.ZodType, data: unknown): z.core.$ZodIssue[] {
  return safeParseInWords(schema, data).error?.issues ?? [];
}

/** A schema whose `steps` gets one custom issue with `params`, whatever it holds. */
const customIssue = (params: Record<string, unknown>) =>
  z.object({ steps: z.number() }).superRefine((_, ctx) => {
    ctx.addIssue({ code: 'custom', path: ['steps'], message: 'raise --steps', params });
  });

describe('formatIssues', () => {
  it('names each field under its part with what is wrong and the value, joined by "; "', () => {
    const schema = z.object({
      training: z.object({ steps: z.number().int().min(1), rank: z.number().max(8) }),
    });
    const data = { training: { steps: 0, rank: 9 } };
    expect(formatIssues('body.params', issuesOf(schema, data), data)).toBe(
      'body.params.training.steps: must be at least 1, got 0; body.params.training.rank: must be at most 8, got 9',
    );
  });

  it('leaves out `got` where the field holds nothing', () => {
    const issues = issuesOf(z.object({ name: z.string() }), {});
    expect(formatIssues('body', issues, {})).toBe('body.name: required');
  });

  it("says a custom issue's API words instead of its CLI words, and no `got` after a whole message", () => {
    const data = { steps: 5 };
    const apiWords = issuesOf(customIssue({ [API_MESSAGE]: 'raise params.training.steps' }), data);
    expect(formatIssues('params', apiWords, data)).toBe('params.steps: raise params.training.steps, got 5');
    const whole = issuesOf(customIssue({ [WHOLE_MESSAGE]: true }), data);
    expect(formatIssues('params', whole, data)).toBe('params.steps: raise --steps');
  });

  it('echoes the first 60 characters of a value nested 100 000 deep (no stack overflow)', () => {
    const deep = JSON.parse(`[${'['.repeat(100_000)}${']'.repeat(100_000)}]`);
    const issues = z.array(z.string()).safeParse(deep).error?.issues ?? [];
    expect(formatIssues('body', issues, deep)).toBe(
      `body.0: Invalid input: expected string, received array, got ${'['.repeat(60)}`,
    );
  });
});

describe('issueField', () => {
  it('is the part and the path, dotted', () => {
    const [issue] = issuesOf(z.object({ items: z.array(z.number()) }), { items: [1, 'x'] });
    expect(issue && issueField('query', issue)).toBe('query.items.1');
  });
});

// src/issue-lines.ts — zod issues in a request's words, one line each: `body.params.training.steps: must be at
// least 1, got 0`. The API's 400s (server/route-schema.ts) and the refusal of a job stored with settings today's rules
// refuse (jobs/stored-job-params.ts) read alike through it. Beside schemas/, not in it: it shows values
// (value-preview.ts), which schemas/ may not import. Pure.
import type { z } from 'zod';
import { API_MESSAGE } from './schemas/config.js';
import { isWholeMessage } from './schemas/issue-words.js';
import { valuePreview } from './value-preview.js';

/** Where `issue` is, under `part`: `body.params.training.steps`. */
export function issueField(part: string, issue: z.core.$ZodIssue): string {
  return [part, ...issue.path.map(String)].join('.');
}

/** An issue's message in a request's words: a custom issue's `params[API_MESSAGE]` (schemas/config.ts sets it where
 * its message names a CLI flag), else its message. */
function apiIssueMessage(issue: z.core.$ZodIssue): string {
  const words = issue.code === 'custom' ? issue.params?.[API_MESSAGE] : undefined;
  return typeof words === 'string' ? words : issue.message;
}

/** What `input` holds at `path`, or undefined where nothing is. */
function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value: unknown = input;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return value;
}

/** One line per issue of `input` (read as `part`), joined by `; `: `body.params.training.steps: must be at least 1,
 * got 0` (zod's own issues in issue-words.ts's words when parsed with safeParseInWords); an issue with no value, or
 * whose message names the value itself, gets no `got`. */
export function formatIssues(part: string, issues: readonly z.core.$ZodIssue[], input: unknown): string {
  return issues
    .map((issue) => {
      const value = valueAt(input, issue.path);
      const got = value === undefined || isWholeMessage(issue) ? '' : `, got ${valuePreview(value)}`;
      return `${issueField(part, issue)}: ${apiIssueMessage(issue)}${got}`;
    })
    .join('; ');
}

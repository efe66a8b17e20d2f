// src/jobs/stored-job-params.ts — a stored job's params read back with today's rules. A job an older toonlora queued
// may hold settings its rules allowed and today's refuse (`steps: 5, lrWarmupSteps: 5`): each runner and the resume
// route read them here, and such a job is refused in words naming the field, the value and what to do, instead of
// failing with TL_ERR_INTERNAL (zod's own error) on every resume.
import type { z } from 'zod';
import { type ErrorCode, ToonloraError } from '../errors.js';
import { formatIssues, issueField } from '../issue-lines.js';
import {
  generateJobParamsSchema,
  type Job,
  type JobKind,
  prepJobParamsSchema,
  trainJobParamsSchema,
} from '../schemas/api.js';
import { safeParseInWords } from '../schemas/issue-words.js';

/** Each kind's params as a stored job is read back (not the stricter rules of a request as posted). */
export const STORED_PARAMS_SCHEMAS = {
  prep: prepJobParamsSchema,
  train: trainJobParamsSchema,
  generate: generateJobParamsSchema,
} as const satisfies Record<JobKind, z.ZodType>;

/** What the user does about settings only an older toonlora allowed. */
export const OLDER_RULES_FIX =
  'This job was made by an older toonlora whose rules allowed it; start a new job with settings that are accepted now.';

type StoredJob = Pick<Job, 'id' | 'kind' | 'params'>;

/** The refusal of `job`, whose stored params today's rules refuse (`issues`), under `code`. Pure. */
export function olderRulesError(
  job: StoredJob,
  issues: readonly z.core.$ZodIssue[],
  code: ErrorCode,
): ToonloraError {
  return new ToonloraError(
    code,
    `${job.kind} job ${job.id}: its settings are no longer accepted: ${formatIssues('params', issues, job.params)}. ${OLDER_RULES_FIX}`,
    {
      details: { id: job.id, fields: issues.map((issue) => issueField('params', issue)) },
    },
  );
}

/**
 * `job`'s params by its kind's `schema` (defaults filled in), as a runner reads them.
 * @throws ToonloraError TL_ERR_CONFIG naming each refused field, its value, and that a new job is the fix
 */
export function parseStoredJobParams<S extends z.ZodType>(schema: S, job: StoredJob): z.output<S> {
  const result = safeParseInWords(schema, job.params);
  if (!result.success) throw olderRulesError(job, result.error.issues, 'TL_ERR_CONFIG');
  return result.data;
}

/**
 * Refuses a resume of `job` whose stored params today's rules refuse, before it is queued (it would only fail again).
 * @throws ToonloraError TL_ERR_CONFLICT in the runner's words
 */
export function checkStoredJobParams(job: StoredJob): void {
  const result = safeParseInWords(STORED_PARAMS_SCHEMAS[job.kind], job.params);
  if (!result.success) throw olderRulesError(job, result.error.issues, 'TL_ERR_CONFLICT');
}

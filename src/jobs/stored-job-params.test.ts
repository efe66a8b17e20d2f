// src/jobs/stored-job-params.test.ts — a stored job whose params today's rules refuse is refused in the words of a
// request's 400 (jobs/issue-lines.ts), under `params`, with the fix a new job; one they accept reads back with its
// defaults filled in.
import { describe, expect, it } from 'vitest';
import type { ToonloraError } from '../errors.js';
import { trainJobParamsSchema } from '../schemas/api.js';
import { checkStoredJobParams, OLDER_RULES_FIX, parseStoredJobParams } from './stored-job-params.js';

/** What `act` throws, as a ToonloraError (undefined when it throws nothing). */
function thrownBy(act: () => unknown): ToonloraError | undefined {
  try {
    act();
    return undefined;
  } catch (error) {
    return error as ToonloraError;
  }
}

describe('stored job params', () => {
  it('a resume of a prep job with an option today refuses: 409 naming the field, its value and the fix', () => {
    const job = { id: 'j1', kind: 'prep' as const, params: { options: { resolution: 500 } } };
    const error = thrownBy(() => checkStoredJobParams(job));
    expect(error?.code).toBe('TL_ERR_CONFLICT');
    expect(error?.message).toBe(
      'prep job j1: its settings are no longer accepted: params.options.resolution: must be a multiple of 8, ' +
        `got 500. ${OLDER_RULES_FIX}`,
    );
    expect(error?.details).toEqual({ id: 'j1', fields: ['params.options.resolution'] });
  });

  it("a runner reads a train job's warmup longer than its steps in the API's words, not the CLI's", () => {
    const params = { training: { steps: 5, lrWarmupSteps: 5 } };
    const error = thrownBy(() =>
      parseStoredJobParams(trainJobParamsSchema, { id: 'j2', kind: 'train', params }),
    );
    expect(error?.code).toBe('TL_ERR_CONFIG');
    expect(error?.message).toContain(
      'params.training.lrWarmupSteps: 5 warmup steps leave none of the 5 training steps at the full rate; lower it ' +
        `below 5, or raise params.training.steps. ${OLDER_RULES_FIX}`,
    );
  });
});

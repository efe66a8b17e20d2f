// Tests for parseTimeoutSeconds: --worker-timeout / --worker-load-timeout read as every numeric flag is, within the
// one rule (workerSilenceLimitsSchema) GenerationWorker checks its limits with.
import { describe, expect, it } from 'vitest';
import { workerSilenceLimitsSchema } from '../worker/silence-watchdog.js';
import { parseTimeoutSeconds, workerSilenceFromFlags } from './worker-timeout-flags.js';

describe('parseTimeoutSeconds', () => {
  it('reads an exponent or a fraction as the shared number flags do (before: 1e3 was refused)', () => {
    expect(parseTimeoutSeconds('--worker-timeout', '1e3', 300)).toBe(1000);
    expect(parseTimeoutSeconds('--worker-timeout', ' 2.5 ', 300)).toBe(2.5);
    expect(workerSilenceFromFlags({ workerTimeout: '1', workerLoadTimeout: '9e2' })).toEqual({
      requestS: 1,
      loadS: 900,
    });
  });

  it('refuses less than a second (before: 0.001 passed and the worker died at its first job)', () => {
    for (const value of ['0.001', '0.5', '0', '-1']) {
      expect(() => parseTimeoutSeconds('--worker-load-timeout', value, 900)).toThrow(
        `--worker-load-timeout: expected a number of seconds, at least 1, got ${JSON.stringify(value)}. Set --worker-load-timeout 900.`,
      );
    }
    expect(workerSilenceLimitsSchema.safeParse({ loadS: 1, requestS: 0.001 }).success).toBe(false);
    expect(() => parseTimeoutSeconds('--worker-timeout', '0x10', 300)).toThrow('"0x10" is not a number');
  });
});

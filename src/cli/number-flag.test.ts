import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../errors.js';
import { numberFlag } from './number-flag.js';

function usageError(run: () => unknown): ToonloraError {
  try {
    run();
  } catch (error) {
    if (error instanceof ToonloraError) return error;
    throw error;
  }
  throw new Error('expected a ToonloraError');
}

describe('numberFlag', () => {
  it('parses numbers and leaves a missing flag undefined', () => {
    expect(numberFlag('16', '--rank')).toBe(16);
    expect(numberFlag('1e-4', '--lr')).toBe(0.0001);
    expect(numberFlag(' 0.5 ', '--weight')).toBe(0.5);
    expect(numberFlag(undefined, '--rank')).toBeUndefined();
  });
  it.each(['abc', '', '  ', 'Infinity', '12px', 'NaN'])('refuses %j naming the flag and the text', (text) => {
    const error = usageError(() => numberFlag(text, '--rank'));
    expect(error.code).toBe('TL_ERR_USAGE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `--rank: ${JSON.stringify(text)} is not a number. Give a number after --rank.`,
    );
  });
});

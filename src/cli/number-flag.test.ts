import { describe, expect, it } from 'vitest';
import { thrownToonloraError } from '../errors-testing.js';
import { numberFlag } from './number-flag.js';

describe('numberFlag', () => {
  it('parses numbers and leaves a missing flag undefined', () => {
    expect(numberFlag('16', '--rank')).toBe(16);
    expect(numberFlag('1e-4', '--lr')).toBe(0.0001);
    expect(numberFlag(' 0.5 ', '--weight')).toBe(0.5);
    expect(numberFlag(undefined, '--rank')).toBeUndefined();
  });
  it.each(['abc', '', '  ', 'Infinity', '12px', 'NaN'])('refuses %j naming the flag and the text', (text) => {
    const error = thrownToonloraError(() => numberFlag(text, '--rank'));
    expect(error.code).toBe('TL_ERR_USAGE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `--rank: ${JSON.stringify(text)} is not a number. Give a number after --rank.`,
    );
  });
});

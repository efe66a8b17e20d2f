import { describe, expect, it } from 'vitest';
import { formatLossTick, lossTicks } from './loss-ticks.js';

describe('loss chart labels', () => {
  it('keeps labels short: three significant digits, no trailing zeros, exponents for tiny losses', () => {
    expect([0.0711, 0.071123, 0.15, 1.2345, 0.001, 0.00099, 0.000001, 12345, 0].map(formatLossTick)).toEqual([
      '0.0711',
      '0.0711',
      '0.15',
      '1.23',
      '0.001',
      '9.9e-4',
      '1.0e-6',
      '1.2e+4',
      '0',
    ]);
    for (const value of [0.0711, 0.00123, 0.5, 3.14, 1e-7])
      expect(formatLossTick(value).length).toBeLessThanOrEqual(7);
  });

  it('has no ticks before the first loss and one when all losses read the same', () => {
    expect(lossTicks([])).toEqual([]);
    expect(lossTicks([0.2, 0.2])).toEqual([{ value: 0.2, label: '0.2' }]);
    expect(lossTicks([0.31, 0.0711, 0.2]).map((t) => t.label)).toEqual(['0.31', '0.0711']);
  });
});

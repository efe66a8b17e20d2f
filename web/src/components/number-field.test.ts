import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeNumberField, numberAttributes, numberText, parseNumberField } from './number-field.js';

const steps = { label: 'Steps', schema: z.number().int().min(1).max(1_000_000) };
const rate = { label: 'Learning rate', schema: z.number().positive().max(1) };
const resolution = { label: 'Resolution', schema: z.number().int().min(64).max(2048), multipleOf: 8 };

describe('number fields', () => {
  it('refuses an emptied, invalid or out-of-range field naming it, never reading it as 0', () => {
    expect(parseNumberField(steps, '')).toEqual({
      ok: false,
      error: 'Steps: enter a whole number from 1 to 1000000',
    });
    expect(parseNumberField(steps, '  ').ok).toBe(false);
    expect(parseNumberField(steps, '0').ok).toBe(false);
    expect(parseNumberField(steps, '2.5').ok).toBe(false);
    expect(parseNumberField(steps, ' 04 ')).toEqual({ ok: true, value: 4 });
    expect(parseNumberField(rate, '0')).toEqual({
      ok: false,
      error: 'Learning rate: enter a number above 0, up to 1',
    });
    expect(parseNumberField(rate, '3e-4')).toEqual({ ok: true, value: 3e-4 });
    expect(parseNumberField(resolution, '100')).toEqual({
      ok: false,
      error: 'Resolution: enter a multiple of 8 from 64 to 2048',
    });
    expect(parseNumberField(resolution, '96')).toEqual({ ok: true, value: 96 });
  });

  it('takes min / max / step from the schema', () => {
    expect(numberAttributes(steps)).toEqual({ min: 1, max: 1_000_000, step: 1 });
    expect(numberAttributes(rate)).toEqual({ min: 0, max: 1, step: 'any' });
    expect(numberAttributes(resolution)).toEqual({ min: 64, max: 2048, step: 8 });
    expect(numberAttributes({ label: 'x', schema: z.number() })).toEqual({ step: 'any' });
    expect(describeNumberField({ label: 'x', schema: z.number().min(0) })).toBe('a number of at least 0');
  });

  it('writes numbers as plain field text', () => {
    expect([1e-4, 5e-5, 0.1 + 0.2, 1500].map(numberText)).toEqual(['0.0001', '0.00005', '0.3', '1500']);
  });
});

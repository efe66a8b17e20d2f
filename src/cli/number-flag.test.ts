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
  it.each([
    ['1e3', 1000],
    [' 5 ', 5],
    ['-2', -2],
    ['+3', 3],
    ['.5', 0.5],
    ['5.', 5],
    ['2.5E-3', 0.0025],
    ['010', 10],
  ])('reads plain decimal %j as %d', (text, expected) => {
    expect(numberFlag(text, '--lr')).toBe(expected);
  });
  it.each([
    'abc',
    '',
    '  ',
    'Infinity',
    '-Infinity',
    '12px',
    'NaN',
    '0x10',
    '0X10',
    '0b1',
    '0o7',
    '1e400',
    '1_000',
    '1e',
    '.',
    '- 5',
  ])('refuses %j naming the flag and the text', (text) => {
    const error = thrownToonloraError(() => numberFlag(text, '--rank'));
    expect(error.code).toBe('TL_ERR_USAGE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      `--rank: ${JSON.stringify(text)} is not a number. Give a number after --rank.`,
    );
  });
  it('refuses hex for --repeats instead of reading 0x10 as 16', () => {
    const error = thrownToonloraError(() => numberFlag('0x10', '--repeats'));
    expect(error.message).toBe('--repeats: "0x10" is not a number. Give a number after --repeats.');
    expect(error.details).toEqual({ flag: '--repeats', value: '0x10' });
  });
});

describe('serve --port, --max-queued, --worker-lease', () => {
  it('read plain decimal text, as every numeric flag does, then check their own range', async () => {
    const { parseMaxQueued, parsePort, parseWorkerLease } = await import('./commands/serve.js');
    expect(parsePort('8000')).toBe(8000);
    expect(parsePort(' 0 ')).toBe(0);
    expect(parsePort('1e3')).toBe(1000);
    for (const text of ['0x1F40', '80.5', '-1', '65536', '', 'Infinity']) {
      expect(() => parsePort(text), text).toThrow(/--port: expected an integer 0-65535/);
    }
    expect(parseMaxQueued('1e1')).toBe(10);
    for (const text of ['0x10', '2.5', '0', 'many']) {
      expect(() => parseMaxQueued(text), text).toThrow(/--max-queued: expected an integer of 1 or more/);
    }
    expect(parseWorkerLease('.5')).toBe(500);
    expect(parseWorkerLease('30')).toBe(30_000);
    // 1e400 overflows to Infinity: a lease that never ends, not a number of seconds
    for (const text of ['0x10', '0', '-2', '1e400', `1${'0'.repeat(400)}`]) {
      expect(() => parseWorkerLease(text), text).toThrow(
        /--worker-lease: expected a number of seconds above 0/,
      );
    }
  });
});

// The benchmarks' and example generator's command lines: bad values are usage errors up front (exit 2
// from the CLI), not NaN tables or a run with defaults; --help is recognised and writes nothing.
import { describe, expect, it } from 'vitest';
import { benchRuns } from '../bench/convert-speed.js';
import { parsePrepArgs, UsageError } from '../bench/prep-speed.js';
import { parseDrawPanelsArgs } from '../scripts/draw-panels.js';

describe('bench/prep-speed.ts options', () => {
  it('reads both option forms and defaults', () => {
    expect(parsePrepArgs([])).toEqual({ rounds: 3, copies: 8, json: false, python: true });
    expect(parsePrepArgs(['--rounds=1', '--copies', '2', '--no-python', '--json'])).toEqual({
      rounds: 1,
      copies: 2,
      json: true,
      python: false,
    });
    expect(parsePrepArgs(['--help'])).toBe('help');
    expect(parsePrepArgs(['-h', '--rounds', 'abc'])).toBe('help');
  });

  it.each([
    [['--rounds', 'abc'], /--rounds: expected a positive integer, got 'abc'/],
    [['--rounds=0'], /--rounds: expected a positive integer/],
    [['--copies', '1.5'], /--copies: expected a positive integer/],
    [['--copies', '-1'], /--copies/],
    [['--rounds'], /argument missing/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parsePrepArgs(argv)).toThrow(UsageError);
    expect(() => parsePrepArgs(argv)).toThrow(message);
  });
});

describe('bench/convert-speed.ts BENCH_RUNS', () => {
  it('is a positive integer, 5 when unset', () => {
    expect(benchRuns(undefined)).toBe(5);
    expect(benchRuns('')).toBe(5);
    expect(benchRuns('2')).toBe(2);
    for (const bad of ['0', '-1', 'abc', '1.5'])
      expect(() => benchRuns(bad)).toThrow(/BENCH_RUNS: expected a positive integer/);
  });
});

describe('scripts/draw-panels.ts options', () => {
  it('reads --out, --seed and --ground-truth; --help is recognised', () => {
    expect(parseDrawPanelsArgs([])).toEqual({ out: 'examples/screens', seed: 7 });
    expect(parseDrawPanelsArgs(['--out', 'x', '--seed=3', '--ground-truth', 'gt'])).toEqual({
      out: 'x',
      seed: 3,
      groundTruth: 'gt',
    });
    expect(parseDrawPanelsArgs(['--help'])).toBe('help');
  });

  it('refuses a bad seed, a missing value and unknown options', () => {
    expect(() => parseDrawPanelsArgs(['--seed', 'abc'])).toThrow(
      /--seed: expected a non-negative integer, got 'abc'/,
    );
    expect(() => parseDrawPanelsArgs(['--seed', '1e3'])).toThrow(/--seed/);
    expect(() => parseDrawPanelsArgs(['--out'])).toThrow(/argument missing/);
    expect(() => parseDrawPanelsArgs(['--bogus'])).toThrow(/Unknown option/);
  });
});

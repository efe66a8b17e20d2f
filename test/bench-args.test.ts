// The benchmarks' and example generator's command lines: bad values are usage errors up front (exit 2
// from the CLI), not NaN tables or a run with defaults; --help is recognised and writes nothing. Also the
// prep benchmark's mask agreement between its TypeScript and Python sides.
import { describe, expect, it } from 'vitest';
import { benchRuns } from '../bench/convert-speed.js';
import { compareMasks, maskIou } from '../bench/prep-bench-parity.js';
import { type BitMask, type ImageRun, pythonReferenceExitMessage } from '../bench/prep-bench-sides.js';
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

describe('bench/prep-bench-parity.ts mask agreement', () => {
  const bits = (width: number, height: number, set: number[]): BitMask => ({
    width,
    height,
    set: (i) => set.includes(i),
  });
  const run = (text: BitMask, character: BitMask) => ({ masks: { text, character } }) as ImageRun;

  it('is shared over either set pixel, 1 for two empty masks, null for different sizes', () => {
    expect(maskIou(bits(2, 2, [0, 1, 2]), bits(2, 2, [1, 2, 3]))).toBe(0.5);
    expect(maskIou(bits(2, 2, []), bits(2, 2, []))).toBe(1);
    expect(maskIou(bits(2, 2, [0]), bits(4, 1, [0]))).toBeNull();
  });

  it('averages per mask kind over the images both sides sent masks for', () => {
    const ts = [
      run(bits(2, 1, [0]), bits(2, 1, [0, 1])),
      run(bits(2, 1, [0]), bits(2, 1, [1])),
      {} as ImageRun,
    ];
    const py = [run(bits(2, 1, [0]), bits(2, 1, [0])), run(bits(2, 1, [1]), bits(2, 1, [1])), {} as ImageRun];
    expect(compareMasks(ts, py)).toEqual({
      text: { images: 2, meanIou: 0.5, minIou: 0 },
      character: { images: 2, meanIou: 0.75, minIou: 0.5 },
    });
  });
});

describe('bench/prep-speed.ts without the Python reference packages', () => {
  it('names `./toonlora setup --dev` when the reference cannot import a module (a venv made by plain setup)', () => {
    const stderr =
      'Traceback (most recent call last):\n  File "bench/prep_reference.py", line 12\n    import cv2\nModuleNotFoundError: No module named \'cv2\'\n';
    const message = pythonReferenceExitMessage(stderr);
    expect(message).toContain("ModuleNotFoundError: No module named 'cv2'");
    expect(message).toContain('`./toonlora setup --dev`');
    expect(pythonReferenceExitMessage('Segmentation fault\n')).toBe(
      'Python reference exited: Segmentation fault',
    );
  });
});

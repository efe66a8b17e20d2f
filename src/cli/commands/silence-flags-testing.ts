// src/cli/commands/silence-flags-testing.ts — for the generate and serve CLI tests: the usage error both commands
// give a bad --worker-timeout / --worker-load-timeout value, checked the same way for each.
import { expect } from 'vitest';
import type { CliTestIo } from '../cli-test-io.js';

/** A flag, a bad value for it, and the default the error message offers instead. */
export type SilenceFlagCase = readonly [flag: string, value: string, fallback: number];

/**
 * Runs `run(flag, value)` for each case and expects exit code 2 and the JSON usage error: "is not a number" for a
 * value that is none, else "expected a number of seconds, at least 1" offering the fallback.
 */
export async function expectSilenceFlagsRefused(
  io: CliTestIo,
  run: (flag: string, value: string) => Promise<number>,
  cases: readonly SilenceFlagCase[],
): Promise<void> {
  for (const [flag, value, fallback] of cases) {
    io.stdout = '';
    expect(await run(flag, value)).toBe(2);
    expect(JSON.parse(io.stdout)).toMatchObject({
      error: {
        code: 'TL_ERR_USAGE',
        message: Number.isNaN(Number(value))
          ? `${flag}: ${JSON.stringify(value)} is not a number. Give a number after ${flag}.`
          : `${flag}: expected a number of seconds, at least 1, got ${JSON.stringify(value)}. Set ${flag} ${fallback}.`,
      },
    });
  }
}

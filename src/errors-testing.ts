// src/errors-testing.ts — for tests: the ToonloraError a synchronous call throws, so a test can check
// its code, message and details (anything else thrown, or nothing, fails the test).
import { ToonloraError } from './errors.js';

export function thrownToonloraError(run: () => unknown): ToonloraError {
  try {
    run();
  } catch (error) {
    if (error instanceof ToonloraError) return error;
    throw error;
  }
  throw new Error('expected a ToonloraError');
}

// src/vision/vips-error-retry.ts — keeps libvips' error text when several images are read at once (pure: no
// sharp here). libvips has one error buffer for the whole process: a read that fails while others run may find
// it cleared and report only "Unknown error" (a HEVC HEIC beside 3 good PNGs lost its text 11 times in 30).
// A read that fails so is run once more alone (the other reads through this gate finish first, new ones wait),
// which gives the real text. Reads on other threads (prep's analysis workers) are not held back by it.

/** The failure carries no text of its own: empty, or libvips' "Unknown error" (under `bad seek` lines or not). */
export function lostVipsMessage(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  const lines = message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/: bad seek to \d+$/i.test(line));
  return lines.every((line) => /^unknown error$/i.test(line));
}

/** Reads through the gate now running. */
let running = 0;
/** Set while a retry runs alone: new reads wait for it. */
let exclusive: Promise<void> | undefined;
/** Resolved when `running` falls to 0 (a retry waiting to run alone). */
const idleWaiters: Array<() => void> = [];

async function shared<T>(run: () => Promise<T>): Promise<T> {
  while (exclusive) await exclusive;
  running++;
  try {
    return await run();
  } finally {
    running--;
    if (running === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  }
}

async function alone<T>(run: () => Promise<T>): Promise<T> {
  while (exclusive) await exclusive;
  let release = (): void => undefined;
  exclusive = new Promise<void>((resolve) => {
    release = resolve;
  });
  try {
    if (running > 0) await new Promise<void>((resolve) => idleWaiters.push(resolve));
    return await run();
  } finally {
    exclusive = undefined;
    release();
  }
}

/**
 * Runs a libvips read; when it fails with no text ({@link lostVipsMessage}), runs it once more alone and
 * answers what that gives (the real error, or the image when the failure was the race itself).
 */
export async function withVipsErrorText<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await shared(run);
  } catch (error) {
    if (!lostVipsMessage(error)) throw error;
    return alone(run);
  }
}

// web/src/components/token-block.ts — an address blocked for wrong tokens (the server's 429
// TL_ERR_TOO_MANY_REQUESTS with details.retryAfterS), as the token prompt shows it (pure): when the block
// ends, and the countdown's words. Not a full queue's 429 (TL_ERR_QUEUE_FULL), which is an ordinary error.

/** The code of the server's answer to a blocked address (src/server/plugins/auth.ts). */
export const TOKEN_BLOCK_CODE = 'TL_ERR_TOO_MANY_REQUESTS';

/** Used when the answer names no wait (a proxy's 429 without the server's details). */
const FALLBACK_WAIT_S = 60;

/**
 * When the block that `error` reports ends (ms since the epoch), or null when it is no token block.
 * @param error the thrown ApiError's status, code and details
 */
export function tokenBlockEnd(
  error: { status: number; code: string; details: Record<string, unknown> },
  nowMs: number,
): number | null {
  if (error.status !== 429 || error.code !== TOKEN_BLOCK_CODE) return null;
  const seconds = error.details.retryAfterS;
  const wait =
    typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : FALLBACK_WAIT_S;
  return nowMs + wait * 1000;
}

/** Whole seconds left until `endMs` (0 once it passed). */
export function secondsLeft(endMs: number, nowMs: number): number {
  return Math.max(0, Math.ceil((endMs - nowMs) / 1000));
}

/** What the token prompt says while blocked, and once the block is over. */
export function tokenBlockText(endMs: number, nowMs: number): string {
  const left = secondsLeft(endMs, nowMs);
  return left > 0
    ? `Too many wrong tokens from this address: try again in ${left} s, with the TOONLORA_TOKEN the server was started with.`
    : 'You can try again now: enter the TOONLORA_TOKEN the server was started with.';
}

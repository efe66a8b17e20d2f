// web/src/components/token-block.test.ts — a token block's end from the server's 429, and the prompt's countdown.
import { describe, expect, it } from 'vitest';
import { secondsLeft, tokenBlockEnd, tokenBlockText } from './token-block.js';

describe('tokenBlockEnd', () => {
  it("ends retryAfterS after now for the server's wrong-token 429", () => {
    const error = { status: 429, code: 'TL_ERR_TOO_MANY_REQUESTS', details: { retryAfterS: 22 } };
    expect(tokenBlockEnd(error, 1_000)).toBe(23_000);
  });
  it('waits a minute when the answer names no wait', () => {
    expect(tokenBlockEnd({ status: 429, code: 'TL_ERR_TOO_MANY_REQUESTS', details: {} }, 0)).toBe(60_000);
  });
  it('is no block for a full queue or a refused token', () => {
    expect(tokenBlockEnd({ status: 429, code: 'TL_ERR_QUEUE_FULL', details: {} }, 0)).toBeNull();
    expect(tokenBlockEnd({ status: 401, code: 'TL_ERR_UNAUTHORIZED', details: {} }, 0)).toBeNull();
  });
});

describe('tokenBlockText', () => {
  it('counts down in whole seconds, then says the user can try again', () => {
    expect(secondsLeft(10_000, 7_500)).toBe(3);
    expect(tokenBlockText(10_000, 7_500)).toBe(
      'Too many wrong tokens from this address: try again in 3 s, with the TOONLORA_TOKEN the server was started with.',
    );
    expect(tokenBlockText(10_000, 10_000)).toBe(
      'You can try again now: enter the TOONLORA_TOKEN the server was started with.',
    );
  });
});

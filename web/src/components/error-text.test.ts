// The error banner's wording: unreachable server, and the server's field paths as form field names.
import { describe, expect, it } from 'vitest';
import { errorText, readableServerMessage, UNREACHABLE } from './error-text.js';

describe('errorText', () => {
  it('says the server cannot be reached when fetch failed', () => {
    expect(errorText(new TypeError('Failed to fetch'))).toBe(UNREACHABLE);
    expect(errorText(new TypeError('Load failed'))).toBe(UNREACHABLE);
    expect(errorText(new Error('x'), 0)).toBe(UNREACHABLE);
  });

  it("names a refused request's fields as the form does", () => {
    expect(
      readableServerMessage(
        'invalid request: body.trigger: one word: no spaces, got "a b"; body.name: Too small, got "".',
      ),
    ).toBe('trigger: one word: no spaces, got "a b"; name: Too small, got "".');
    expect(readableServerMessage('invalid request: body.params.training.lora.rank: too big, got 999.')).toBe(
      'rank: too big, got 999.',
    );
    expect(errorText(new Error('invalid request: body.name: Too small.'), 400)).toBe('name: Too small.');
    expect(errorText(new Error('prep: the character has no screenshots yet; upload some first.'), 400)).toBe(
      'prep: the character has no screenshots yet; upload some first.',
    );
    expect(errorText(new Error('invalid request: body.x: y'), 500)).toBe('invalid request: body.x: y'); // not a 4xx
  });

  it("says zod's limits in plain words and drops the request's paths", () => {
    expect(
      readableServerMessage(
        'invalid request: body.name: Too big: expected string to have <=80 characters, got "Princess Mina-…"',
      ),
    ).toBe('name: at most 80 characters, got "Princess Mina-…"');
    expect(
      readableServerMessage(
        'invalid request: body.caption: Too small: expected string to have >=1 characters',
      ),
    ).toBe('caption: must not be empty');
    expect(readableServerMessage('body.params.training.steps: Too big: expected number to be <=100000')).toBe(
      'steps: at most 100000',
    );
    expect(
      errorText(
        new Error('params.training.baseModel: stablediffusionapi/anything-v5 is not downloaded'),
        400,
      ),
    ).toBe('baseModel: stablediffusionapi/anything-v5 is not downloaded');
    expect(
      readableServerMessage('invalid request: body.name: Invalid input: expected string, received undefined'),
    ).toBe('name: required');
  });
});

// The error banner's wording: unreachable server, and the server's field paths as the forms' field labels.
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
    ).toBe('Trigger word: one word: no spaces, got "a b"; Name: Too small, got "".');
    expect(readableServerMessage('invalid request: body.params.training.lora.rank: too big, got 999.')).toBe(
      'Rank: too big, got 999.',
    );
    expect(errorText(new Error('invalid request: body.name: Too small.'), 400)).toBe('Name: Too small.');
    expect(errorText(new Error('prep: the character has no screenshots yet; upload some first.'), 400)).toBe(
      'prep: the character has no screenshots yet; upload some first.',
    );
    expect(errorText(new Error('invalid request: body.x: y'), 500)).toBe('invalid request: body.x: y'); // not a 4xx
  });

  it("names a field by its form's label, not its request key; an unknown field keeps its key", () => {
    expect(
      readableServerMessage(
        'invalid request: body.trigger: must not be empty, got ""; body.classWord: Too small: expected string to have >=1 characters, got "".',
      ),
    ).toBe('Trigger word: must not be empty, got ""; Class word: must not be empty, got "".');
    expect(readableServerMessage('invalid request: body.params.training.learningRate: too big')).toBe(
      'Learning rate: too big',
    );
    expect(readableServerMessage('invalid request: body.params.generation.seeds: Too big')).toBe(
      'Seed: Too big',
    );
    expect(readableServerMessage('invalid request: body.params.somethingNew: wrong')).toBe(
      'somethingNew: wrong',
    );
  });

  it("says zod's limits in plain words and drops the request's paths", () => {
    expect(
      readableServerMessage(
        'invalid request: body.name: Too big: expected string to have <=80 characters, got "Princess Mina-…"',
      ),
    ).toBe('Name: at most 80 characters, got "Princess Mina-…"');
    expect(
      readableServerMessage(
        'invalid request: body.caption: Too small: expected string to have >=1 characters',
      ),
    ).toBe('Caption: must not be empty');
    expect(readableServerMessage('body.params.training.steps: Too big: expected number to be <=100000')).toBe(
      'Steps: at most 100000',
    );
    expect(
      errorText(
        new Error('params.training.baseModel: stablediffusionapi/anything-v5 is not downloaded'),
        400,
      ),
    ).toBe('Base model: stablediffusionapi/anything-v5 is not downloaded');
    expect(
      readableServerMessage('invalid request: body.name: Invalid input: expected string, received undefined'),
    ).toBe('Name: required');
  });
});

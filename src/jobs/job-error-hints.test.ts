// src/jobs/job-error-hints.test.ts — a failed job's model-missing error names the web app's pull as well as the CLI's.
import { describe, expect, it } from 'vitest';
import { withWebFixHint } from './job-error-hints.js';

describe('withWebFixHint', () => {
  it("adds the Models page to the trainer's refetch hint for a Hub base (its snapshot folder)", () => {
    const message =
      '/h/hub/models--someone--toon-sd1.5/snapshots/c0/: cannot load its tokenizer from tokenizer/vocab.json (bad): a file there is damaged or truncated (a stopped download or copy?). Delete /h/tokenizer/vocab.json and run `toonlora models pull someone/toon-sd1.5` again.';
    expect(withWebFixHint('TL_ERR_MODEL_MISSING', message)).toBe(
      `${message} (In the web app: the Models page pulls someone/toon-sd1.5.)`,
    );
  });
  it('reads the pull without backticks (a folder lacking files)', () => {
    const message = 'x: the folder lacks unet/config.json. Run: toonlora models pull anything-v5';
    expect(withWebFixHint('TL_ERR_MODEL_MISSING', message)).toBe(
      `${message} (In the web app: the Models page pulls anything-v5.)`,
    );
  });
  it('leaves other errors, and messages that name no pull, as they are', () => {
    expect(withWebFixHint('TL_ERR_WORKER', 'run `toonlora models pull tiny` again.')).toBe(
      'run `toonlora models pull tiny` again.',
    );
    expect(withWebFixHint('TL_ERR_MODEL_MISSING', 'no base here')).toBe('no base here');
  });
});

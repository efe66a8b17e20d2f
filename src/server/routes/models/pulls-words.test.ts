// src/server/routes/models/pulls-words.test.ts — a Hub pull attempt's card (the web app's Models page) says what the
// repo is and what needs it without a CLI flag (it read "train / generate with --base owner/name …").
import { describe, expect, it } from 'vitest';
import { hubAttemptFacts } from './pulls.js';

describe('hubAttemptFacts', () => {
  it('names no CLI flag for any pull status', () => {
    for (const status of [
      'running',
      'stopping',
      'failed',
      'succeeded',
      'cancelled',
      'interrupted',
    ] as const) {
      const facts = hubAttemptFacts('someone/toon-sd15', { status });
      expect(`${facts.description} ${facts.whenMissing}`).not.toContain('--');
    }
  });
});

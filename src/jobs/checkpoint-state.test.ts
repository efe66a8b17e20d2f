// src/jobs/checkpoint-state.test.ts — the job log line saying what removing the resume-only state freed.
import { describe, expect, it } from 'vitest';
import { resumeStateRemovedMessage } from './checkpoint-state.js';

describe('resumeStateRemovedMessage', () => {
  it('names the size in decimal units, as the rest of toonlora does (before: 144.0 "MB" of 2^20 bytes)', () => {
    expect(resumeStateRemovedMessage({ checkpoints: 2, bytes: 151_000_000 })).toBe(
      "removed the resume-only training state (training_state.pt, 151 MB) of 2 checkpoints: a finished job is not resumed; each checkpoint's adapter weights stay in checkpoints/.",
    );
    expect(resumeStateRemovedMessage({ checkpoints: 0, bytes: 0 })).toBeUndefined();
  });
});

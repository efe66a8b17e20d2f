// web/src/components/pull-follow.test.ts — a model pull's stream: messages read through the schema or worded for the
// user, replays skipped, and the job streams' backoff until the pull has ended.
import { describe, expect, it } from 'vitest';
import type { ModelPull } from '../../../src/schemas/models-api.js';
import { FOLLOW_START, reconnectDelayMs } from './job-follow.js';
import { followStateAfterPull, readPullMessage } from './pull-follow.js';

const pull = (seq: number, status: ModelPull['status']): ModelPull => ({
  model: 'anything-v5',
  status,
  seq,
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: null,
  file: 'unet/diffusion_pytorch_model.safetensors',
  fileReceivedBytes: 1024,
  fileTotalBytes: 4096,
  filesDone: 1,
  doneBytes: 2048,
  modelBytes: 8192,
  bytesPerS: null,
  message: null,
  error: null,
});

describe('reading a pull stream message', () => {
  it('a snapshot the schema accepts comes back as it is', () => {
    expect(readPullMessage('anything-v5', JSON.stringify(pull(3, 'running')))).toEqual({
      ok: true,
      pull: pull(3, 'running'),
    });
  });

  it('data that is not JSON is a sentence naming the model', () => {
    expect(readPullMessage('anything-v5', '<html>')).toEqual({
      ok: false,
      problem:
        'The server sent a pull event for anything-v5 this page cannot read (not JSON). Reload the page.',
    });
  });

  it('a snapshot of another shape names each field at fault and the likely cause', () => {
    const { seq: _, ...noSeq } = pull(3, 'running');
    const read = readPullMessage('anything-v5', JSON.stringify({ ...noSeq, status: 'paused' }));
    expect(read.ok).toBe(false);
    if (read.ok) return;
    expect(read.problem).toMatch(
      /^The server sent a pull event for anything-v5 this page cannot read \(status: .+; seq: .+\); reload the page; if this stays, the server and the web app are from different versions\.$/,
    );
    expect(readPullMessage('m', '42')).toMatchObject({
      ok: false,
      problem: expect.stringContaining('(the event: '),
    });
  });
});

describe('following a pull stream', () => {
  it('shows each newer snapshot once; a replay after a reconnect is skipped but resets the backoff', () => {
    let next = followStateAfterPull(FOLLOW_START, pull(1, 'running'));
    expect(next).toEqual({ state: { lastSeq: 1, final: false, failures: 0 }, fresh: true });
    const broken = { ...next.state, failures: 3 };
    expect(reconnectDelayMs(broken)).toBe(4000);
    next = followStateAfterPull(broken, pull(1, 'running')); // the server's current snapshot, first after reconnecting
    expect(next).toEqual({ state: { lastSeq: 1, final: false, failures: 0 }, fresh: false });
    expect(reconnectDelayMs(next.state)).toBe(500);
  });

  it('reconnects while the pull is active (running, stopping) and stops once it ended', () => {
    let state = followStateAfterPull(FOLLOW_START, pull(1, 'running')).state;
    state = followStateAfterPull(state, pull(2, 'stopping')).state;
    expect(reconnectDelayMs(state)).toBe(500);
    for (const status of ['succeeded', 'failed', 'cancelled', 'interrupted'] as const) {
      const ended = followStateAfterPull(state, pull(3, status));
      expect(ended.fresh).toBe(true);
      expect(reconnectDelayMs(ended.state)).toBeNull();
    }
  });
});

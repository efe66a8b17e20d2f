import { describe, expect, it } from 'vitest';
import type { JobEvent, JobEventBody } from '../../../src/schemas/api.js';
import {
  afterFinalCheck,
  FOLLOW_START,
  followStateAfter,
  followStateAfterUnreadable,
  RECONNECT_MAX_MS,
  readStreamMessage,
  reconnectDelayMs,
  streamUrl,
} from './job-follow.js';

const event = (seq: number, body: JobEventBody): JobEvent => ({ seq, jobId: 'j1', at: '', body });

describe('following a job stream', () => {
  it('reconnects with a doubling backoff, capped, until a final status arrives', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 10].map((failures) =>
      reconnectDelayMs({ ...FOLLOW_START, failures }),
    );
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 15_000, 15_000, RECONNECT_MAX_MS]);
    let state = followStateAfter(FOLLOW_START, event(1, { type: 'status', status: 'running' })).state;
    expect(reconnectDelayMs(state)).toBe(500);
    // the server was killed mid-run; on restart it marks the job interrupted: stop following then
    state = followStateAfter(
      state,
      event(2, { type: 'status', status: 'interrupted', message: 'stopped' }),
    ).state;
    expect(state.final).toBe(true);
    expect(reconnectDelayMs(state)).toBeNull();
  });

  it('resumes after the last event seen, skips replays and resets the failures on a new event', () => {
    expect(streamUrl('j1', FOLLOW_START)).toBe('/api/jobs/j1/stream');
    let state = { ...FOLLOW_START, failures: 3 };
    const first = followStateAfter(state, event(7, { type: 'progress', progress: { step: 3, total: 4 } }));
    expect(first.fresh).toBe(true);
    state = first.state;
    expect(state).toEqual({ lastSeq: 7, final: false, failures: 0 });
    expect(streamUrl('j1', state)).toBe('/api/jobs/j1/stream?after=7');
    const replay = followStateAfter(state, event(7, { type: 'progress', progress: { step: 3, total: 4 } }));
    expect(replay).toEqual({ state, fresh: false });
    // a non-status event keeps what the last status said
    const done = followStateAfter(state, event(8, { type: 'status', status: 'succeeded' })).state;
    expect(followStateAfter(done, event(9, { type: 'log', message: 'x' })).state.final).toBe(true);
  });
});

describe('after a final status', () => {
  it('keeps checking a stopped train job, follows it again once resumed elsewhere, and lets others go', () => {
    const train = { kind: 'train' as const, attempts: 1 };
    for (const status of ['interrupted', 'cancelled', 'failed'] as const) {
      expect(afterFinalCheck({ ...train, status }, null)).toBe('watch');
      expect(afterFinalCheck({ ...train, status }, 1)).toBe('watch');
    }
    // resumed in another tab: queued or running again, or already run again and stopped
    expect(afterFinalCheck({ ...train, status: 'queued' }, 1)).toBe('follow');
    expect(afterFinalCheck({ ...train, status: 'running', attempts: 2 }, 1)).toBe('follow');
    expect(afterFinalCheck({ ...train, status: 'cancelled', attempts: 2 }, 1)).toBe('follow');
    // nothing brings these back
    expect(afterFinalCheck({ ...train, status: 'succeeded' }, null)).toBe('stop');
    expect(afterFinalCheck({ kind: 'prep', status: 'interrupted', attempts: 1 }, null)).toBe('stop');
    expect(afterFinalCheck({ kind: 'generate', status: 'cancelled', attempts: 1 }, null)).toBe('stop');
  });
});

describe('reading a stream message', () => {
  const data = (body: unknown) => JSON.stringify({ seq: 4, jobId: 'j1', at: '', body });

  it('gives back the event the schema reads', () => {
    const read = readStreamMessage({
      type: 'log',
      data: data({ type: 'log', message: 'x' }),
      lastEventId: '4',
    });
    expect(read).toEqual({ ok: true, event: event(4, { type: 'log', message: 'x' }) });
  });

  it('says what is wrong with one it cannot read, with the seq from the id when there is one', () => {
    const bad = readStreamMessage({
      type: 'checkpoint',
      data: data({ type: 'checkpoint', step: 2 }),
      lastEventId: '4',
    });
    expect(bad).toMatchObject({ ok: false, seq: 4 });
    expect(bad.ok ? '' : bad.problem).toContain('"checkpoint" event (#4)');
    expect(bad.ok ? '' : bad.problem).toContain(
      'body.path: Invalid input: expected string, received undefined',
    );
    const noId = readStreamMessage({ type: 'status', data: '<html>', lastEventId: '' });
    expect(noId).toMatchObject({ ok: false, seq: null });
    expect(noId.ok ? '' : noId.problem).toMatch(
      /^The server sent a "status" event this page cannot read \(its data is not JSON\)/,
    );
  });

  it('resumes after an unreadable message with a seq, reports it once, and always reports one without', () => {
    const state = { lastSeq: 3, final: false, failures: 2 };
    expect(followStateAfterUnreadable(state, 4)).toEqual({
      state: { lastSeq: 4, final: false, failures: 0 },
      fresh: true,
    });
    expect(followStateAfterUnreadable(state, 3)).toEqual({ state, fresh: false });
    expect(followStateAfterUnreadable(state, null)).toEqual({ state, fresh: true });
  });
});

// web/src/components/uploads-follow.test.ts — followUploads against a stand-in EventSource: both lists re-read on
// every open of the stream, the first included (the server replays nothing); reopened after a break with a backoff;
// stopped, and the page told, when the character is gone (404) instead of reopened forever.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { characterStillThere, followUploads, uploadsReconnectDelayMs } from './uploads-follow.js';

/** The EventSource followUploads opens: records its listeners; the test calls onopen / onerror as the browser would. */
class FakeEventSource {
  static opened: FakeEventSource[] = [];
  readonly listeners = new Map<string, () => void>();
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(type: string, listener: () => void) {
    this.listeners.set(type, listener);
  }
  close() {
    this.closed = true;
  }
}

describe('followUploads', () => {
  beforeEach(() => {
    FakeEventSource.opened = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  const follow = (stillThere: () => Promise<boolean>) => {
    const calls: string[] = [];
    const stop = followUploads(
      'c 1',
      {
        changed: (event) => calls.push(`changed ${event}`),
        opened: () => calls.push('opened'),
        gone: () => calls.push('gone'),
      },
      stillThere,
    );
    return { calls, stop };
  };

  it('re-reads both lists when the stream first opens and after each reopen, and passes events on', async () => {
    const stillThere = vi.fn(async () => true);
    const { calls, stop } = follow(stillThere);
    const first = FakeEventSource.opened[0] as FakeEventSource;
    expect(first.url).toBe('/api/characters/c%201/stream');
    // an upload committed between the page's first GET and this open sent the page no event: it re-reads on open
    first.onopen?.();
    expect(calls).toEqual(['opened']);
    first.listeners.get('uploads')?.();
    first.listeners.get('prep')?.();
    expect(calls).toEqual(['opened', 'changed uploads', 'changed prep']);
    first.onerror?.();
    expect(first.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(uploadsReconnectDelayMs(0));
    expect(stillThere).toHaveBeenCalledWith('c 1');
    const second = FakeEventSource.opened[1] as FakeEventSource;
    second.onopen?.();
    expect(calls).toEqual(['opened', 'changed uploads', 'changed prep', 'opened']);
    stop();
    expect(second.closed).toBe(true);
  });

  it('stops and says the character is gone when the stream fails for a deleted character (no reopening)', async () => {
    const { calls } = follow(async () => false);
    (FakeEventSource.opened[0] as FakeEventSource).onerror?.();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toEqual(['gone']);
    expect(FakeEventSource.opened).toHaveLength(1);
  });

  it('keeps reopening with a backoff while the server is only away', async () => {
    const { calls, stop } = follow(async () => true);
    for (let failures = 0; failures < 3; failures++) {
      (FakeEventSource.opened[failures] as FakeEventSource).onerror?.();
      await vi.advanceTimersByTimeAsync(uploadsReconnectDelayMs(failures) - 1);
      expect(FakeEventSource.opened).toHaveLength(failures + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(FakeEventSource.opened).toHaveLength(failures + 2);
    }
    expect(calls).toEqual([]);
    stop();
  });
});

describe('characterStillThere', () => {
  afterEach(() => vi.unstubAllGlobals());
  it('is false only for a 404 (a server down or another error is retried)', async () => {
    vi.stubGlobal('localStorage', { getItem: () => null });
    const answer = (status: number) =>
      vi.fn(
        async () =>
          new Response(JSON.stringify({ error: { code: 'x', message: 'm' } }), {
            status,
            headers: { 'content-type': 'application/json' },
          }),
      );
    vi.stubGlobal('fetch', answer(404));
    expect(await characterStillThere('gone')).toBe(false);
    vi.stubGlobal('fetch', answer(500));
    expect(await characterStillThere('c1')).toBe(true);
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => {
        throw new TypeError('Failed to fetch');
      }),
    );
    expect(await characterStillThere('c1')).toBe(true);
  });
});

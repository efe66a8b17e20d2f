// web/src/components/job-live.test.ts — the live events a followed job's stream pushes (`queue`, `remote`): read
// through jobLiveEventSchema (an unreadable one is reported, not thrown), kept per job with when they came (the
// latest of each type, the same object until it changes), dropped by the job's next status; and followJob, against
// a stand-in EventSource, listens for them and puts them in the page's feed without any request.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JOB_LIVE_EVENT_TYPES, type JobLiveEventBody } from '../../../src/schemas/api.js';
import { followJob } from '../api.js';
import { JobLiveFeed, jobLiveFeed, readLiveMessage } from './job-live.js';

const live = (jobId: string, body: unknown) =>
  JSON.stringify({ jobId, at: '2026-01-01T00:00:00.000Z', body });
const place: JobLiveEventBody = { type: 'queue', running: ['prep'], ahead: 1 };

describe('readLiveMessage', () => {
  it('reads a queue or remote event; anything else is a sentence for the user', () => {
    expect(readLiveMessage({ type: 'queue', data: live('j1', place) })).toEqual({
      ok: true,
      event: { jobId: 'j1', at: '2026-01-01T00:00:00.000Z', body: place },
    });
    const bad = readLiveMessage({
      type: 'queue',
      data: live('j1', { type: 'queue', running: [], ahead: -1 }),
    });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problem).toMatch(
      /^The server sent a "queue" event this page cannot read \(body\.ahead: /,
    );
    expect(readLiveMessage({ type: 'remote', data: '<html>' })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('its data is not JSON'),
    });
  });
});

describe('JobLiveFeed', () => {
  it('keeps the latest event of each type per job, tells its listeners, and forgets it on a status change', () => {
    const feed = new JobLiveFeed();
    const heard: string[] = [];
    const stop = feed.subscribe('j1', () => heard.push('j1'));
    feed.subscribe('j2', () => heard.push('j2'));
    feed.publish({ jobId: 'j1', at: 'x', body: place }, 1_000);
    const first = feed.latest('j1', 'queue');
    expect(first).toEqual({ body: place, receivedAtMs: 1_000 });
    expect(feed.latest('j1', 'queue')).toBe(first); // a stable snapshot between changes
    expect(feed.latest('j1', 'remote')).toBeUndefined();
    expect(feed.latest('j2', 'queue')).toBeUndefined();
    feed.statusChanged('j1');
    expect(feed.latest('j1', 'queue')).toBeUndefined();
    feed.statusChanged('j1'); // nothing kept: nothing to tell
    stop();
    feed.publish({ jobId: 'j1', at: 'x', body: place }, 2_000);
    expect(heard).toEqual(['j1', 'j1']);
  });
});

/** The EventSource followJob opens: records its listeners; `send` delivers one message as the browser would. */
class FakeEventSource {
  static opened: FakeEventSource[] = [];
  readonly listeners = new Map<string, (message: MessageEvent<string>) => void>();
  onerror: (() => void) | null = null;
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(type: string, listener: (message: MessageEvent<string>) => void) {
    this.listeners.set(type, listener);
  }
  close() {}
  send(type: string, data: string, lastEventId = '') {
    this.listeners.get(type)?.({ type, data, lastEventId } as MessageEvent<string>);
  }
}

describe('followJob: live events', () => {
  const fetchSpy = vi.fn();
  beforeEach(() => {
    FakeEventSource.opened = [];
    vi.stubGlobal('EventSource', FakeEventSource);
    vi.stubGlobal('fetch', fetchSpy);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('puts them in the page feed, reports an unreadable one, and asks the server nothing', () => {
    const problems: string[] = [];
    const stop = followJob('live-1', { event: () => {}, unreadable: (p) => problems.push(p) });
    const source = FakeEventSource.opened[0] as FakeEventSource;
    for (const type of JOB_LIVE_EVENT_TYPES) expect(source.listeners.has(type)).toBe(true);
    const status = (seq: number, value: string) =>
      JSON.stringify({
        seq,
        jobId: 'live-1',
        at: '2026-01-01T00:00:00.000Z',
        body: { type: 'status', status: value },
      });
    source.send('status', status(1, 'queued'), '1');
    source.send('queue', live('live-1', place), '1');
    expect(jobLiveFeed.latest('live-1', 'queue')?.body).toEqual(place);
    const remote = { worker: 'gpu-a', silentMs: 0, leaseEndsInMs: 60_000, stopAsked: false };
    source.send('status', status(2, 'running'), '2'); // the place no longer holds
    expect(jobLiveFeed.latest('live-1', 'queue')).toBeUndefined();
    source.send('remote', live('live-1', { type: 'remote', remote }), '2');
    expect(jobLiveFeed.latest('live-1', 'remote')?.body.remote).toEqual(remote);
    source.send('remote', live('live-1', { type: 'remote', remote: { worker: 1 } }), '2');
    expect(problems).toHaveLength(1);
    expect(jobLiveFeed.latest('live-1', 'remote')?.body.remote).toEqual(remote); // kept
    expect(fetchSpy).not.toHaveBeenCalled();
    stop();
  });
});

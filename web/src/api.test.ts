// web/src/api.test.ts — followJob against a stand-in EventSource: it listens for every event type the schema
// has, passes each event read through jobEventSchema on, and reports a message it cannot read (once, with the
// fields at fault) instead of throwing in the listener or handing the page an unchecked object.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  JOB_EVENT_TYPES,
  JOB_LIVE_EVENT_TYPES,
  type JobEvent,
  jobEventBodySchema,
} from '../../src/schemas/api.js';
import { ApiError, followJob, uploadImages, uploadReply } from './api.js';

/** The EventSource followJob opens: records its listeners; `send` delivers one message as the browser would. */
class FakeEventSource {
  static opened: FakeEventSource[] = [];
  readonly listeners = new Map<string, (message: MessageEvent<string>) => void>();
  onerror: (() => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.opened.push(this);
  }
  addEventListener(type: string, listener: (message: MessageEvent<string>) => void) {
    this.listeners.set(type, listener);
  }
  close() {
    this.closed = true;
  }
  send(type: string, data: string, lastEventId = '') {
    const listener = this.listeners.get(type);
    if (!listener) throw new Error(`no listener for "${type}"`);
    listener({ type, data, lastEventId } as MessageEvent<string>);
  }
}

beforeEach(() => {
  FakeEventSource.opened = [];
  vi.stubGlobal('EventSource', FakeEventSource);
});
afterEach(() => vi.unstubAllGlobals());

function follow() {
  const events: JobEvent[] = [];
  const problems: string[] = [];
  const stop = followJob('j1', { event: (e) => events.push(e), unreadable: (p) => problems.push(p) });
  const source = FakeEventSource.opened[0] as FakeEventSource;
  return { events, problems, stop, source };
}

const message = (seq: number, body: unknown) => JSON.stringify({ seq, jobId: 'j1', at: '2025-01-01', body });

describe('followJob', () => {
  it("listens for every event type of the schema and passes each one's events on", () => {
    const { events, source, stop } = follow();
    const schemaTypes = jobEventBodySchema.options.map((option) => option.shape.type.value);
    expect([...source.listeners.keys()]).toEqual([...schemaTypes, ...JOB_LIVE_EVENT_TYPES]);
    expect(JOB_EVENT_TYPES).toEqual(schemaTypes);
    const bodies = [
      { type: 'status', status: 'running' },
      { type: 'progress', progress: { step: 1, total: 4, loss: 0.5 } },
      { type: 'sample', step: 1, artifactIds: ['a1'], urls: ['/api/artifacts/a1/file'] },
      { type: 'checkpoint', step: 1, path: 'step-1' },
      { type: 'log', level: 'warn', message: 'careful' },
    ] as const;
    expect(bodies.map((body) => body.type)).toEqual(schemaTypes);
    bodies.forEach((body, i) => {
      source.send(body.type, message(i + 1, body), String(i + 1));
    });
    expect(events.map((event) => event.body)).toEqual(bodies);
    stop();
    expect(source.closed).toBe(true);
  });

  it('reports a malformed event once, naming the field, and goes on with the next', () => {
    const { events, problems, source } = follow();
    source.send('progress', message(1, { type: 'progress', progress: { step: 'three', total: 4 } }), '1');
    expect(events).toEqual([]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^The server sent a "progress" event \(#1\) this page cannot read \(/);
    expect(problems[0]).toContain('body.progress.step: Invalid input: expected number, received string');
    expect(problems[0]).toMatch(/Reload the page/);
    // a replay of it (a reconnect resumes after the last seq seen, so only a duplicate) is not reported again
    source.send('progress', message(1, { type: 'progress', progress: { step: 'three', total: 4 } }), '1');
    expect(problems).toHaveLength(1);
    source.send('log', 'not json {', '2');
    expect(problems[1]).toMatch(/"log" event \(#2\) this page cannot read \(its data is not JSON\)/);
    source.send('status', message(3, { type: 'status', status: 'running' }), '3');
    expect(events.map((event) => event.seq)).toEqual([3]);
    expect(problems).toHaveLength(2);
  });

  it('reports an event whose body is of a type this page does not know', () => {
    const { events, problems, source } = follow();
    // the server names each event by body.type; the body below claims one the schema lacks
    source.send('status', message(1, { type: 'heartbeat', at: 1 }), '1');
    expect(events).toEqual([]);
    expect(problems[0]).toMatch(/"status" event \(#1\) this page cannot read \(body\.type: /);
  });
});

describe('followJob: connection state', () => {
  it('reports a broken stream as lost until it opens again; a stream ended by a final status is not lost', () => {
    vi.useFakeTimers();
    try {
      const lost: boolean[] = [];
      const stop = followJob('j1', {
        event: () => {},
        unreadable: () => {},
        connection: (l) => lost.push(l),
      });
      const first = FakeEventSource.opened[0] as FakeEventSource & { onopen?: () => void };
      first.onopen?.();
      first.onerror?.();
      expect(lost).toEqual([false, true]);
      // reconnect: api.job is asked first (fetch stubbed to fail: still retried), then a new stream opens
      stop();
    } finally {
      vi.useRealTimers();
    }
    const lost: boolean[] = [];
    followJob('j2', { event: () => {}, unreadable: () => {}, connection: (l) => lost.push(l) });
    const source = FakeEventSource.opened.at(-1) as FakeEventSource;
    source.send('status', message(1, { type: 'status', status: 'succeeded' }), '1');
    source.onerror?.(); // the server ends the stream after a final status
    expect(lost).toEqual([]);
  });
});

describe('uploadReply', () => {
  it('reads a JSON reply and turns a page that is not JSON (a proxy error) into an ApiError', () => {
    expect(uploadReply(201, JSON.stringify({ uploaded: [], rejected: [] }))).toEqual({
      ok: true,
      result: { uploaded: [], rejected: [], duplicates: [] },
    });
    const refused = uploadReply(
      413,
      JSON.stringify({ error: { code: 'TL_ERR_TOO_LARGE', message: 'too big' } }),
    );
    expect(refused.ok).toBe(false);
    if (!refused.ok)
      expect(refused.error).toMatchObject({ status: 413, code: 'TL_ERR_TOO_LARGE', message: 'too big' });
    const proxy = uploadReply(502, '<html><body>Bad Gateway</body></html>');
    expect(proxy.ok).toBe(false);
    if (!proxy.ok) {
      expect(proxy.error).toBeInstanceOf(ApiError);
      expect(proxy.error.message).toMatch(/HTTP 502 with a page that is not the toonlora API's reply/);
    }
  });
});

describe('uploadImages', () => {
  /** A stand-in XMLHttpRequest: answers each send with `reply(files)` on the next tick. */
  function stubXhr(reply: (count: number) => { status: number; body: string }) {
    const sent: number[] = [];
    class FakeXhr {
      status = 0;
      responseText = '';
      upload: { onprogress: ((e: ProgressEvent) => void) | null } = { onprogress: null };
      onload: (() => void) | null = null;
      onerror: (() => void) | null = null;
      open() {}
      setRequestHeader() {}
      send(form: FormData) {
        const count = form.getAll('files').length;
        sent.push(count);
        const answer = reply(count);
        setTimeout(() => {
          this.status = answer.status;
          this.responseText = answer.body;
          this.onload?.();
        }, 0);
      }
    }
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
    vi.stubGlobal('localStorage', { getItem: () => null });
    return sent;
  }
  const files = (n: number) => Array.from({ length: n }, (_, i) => new File(['x'], `f${i}.png`));

  it('sends more files than the limit in batches and combines the results', async () => {
    const sent = stubXhr((count) => ({
      status: 201,
      body: JSON.stringify({
        uploaded: [],
        rejected: [{ name: `batch of ${count}`, code: 'X', reason: 'r' }],
      }),
    }));
    const result = await uploadImages('c1', files(201), () => {}, 200);
    expect(sent).toEqual([200, 1]);
    expect(result.rejected.map((r) => r.name)).toEqual(['batch of 200', 'batch of 1']);
  });

  it('rejects (instead of never settling) when the reply is not JSON', async () => {
    stubXhr(() => ({ status: 502, body: '<html>Bad Gateway</html>' }));
    await expect(uploadImages('c1', files(1), () => {})).rejects.toThrow(/HTTP 502/);
  });
});

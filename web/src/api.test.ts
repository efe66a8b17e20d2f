// web/src/api.test.ts — followJob against a stand-in EventSource: it listens for every event type the schema
// has, passes each event read through jobEventSchema on, and reports a message it cannot read (once, with the
// fields at fault) instead of throwing in the listener or handing the page an unchecked object.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { JOB_EVENT_TYPES, type JobEvent, jobEventBodySchema } from '../../src/schemas/api.js';
import { followJob } from './api.js';

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
    expect([...source.listeners.keys()]).toEqual(schemaTypes);
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

// src/server/event-stream.test.ts — openEventStream on a real fastify route: the head and the keep-alive comment
// (a short interval injected), the end callbacks running once on each way a stream ends (end() here, the client
// gone, raw.end() by the server's close), and a client gone before the route opened its stream: no `close` comes
// after that, so before, its timer and subscriptions stayed for the server's lifetime.
import { once } from 'node:events';
import { get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_STREAM_HEAD, type EventStream, KEEP_ALIVE_LINE, openEventStream } from './event-stream.js';

const KEEP_ALIVE_TEST_MS = 20;
const apps: FastifyInstance[] = [];
const responses: IncomingMessage[] = [];
afterEach(async () => {
  for (const response of responses.splice(0)) response.destroy();
  for (const app of apps.splice(0)) await app.close();
});

/** A listening app whose GET /stream opens a stream (after `before`, when given) and records it and its ends. */
async function streamApp(before?: (socketClosed: Promise<unknown>) => Promise<unknown>) {
  const opened: EventStream[] = [];
  /** How many ends there were right after each stream was opened (its onEnd given). */
  const endsAtOpen: number[] = [];
  let ends = 0;
  const app = Fastify();
  apps.push(app);
  app.get('/stream', async (request, reply) => {
    const socket = request.raw.socket;
    if (before) await before(socket.destroyed ? Promise.resolve() : once(socket, 'close'));
    const stream = openEventStream(reply, { keepAliveMs: KEEP_ALIVE_TEST_MS });
    stream.onEnd(() => {
      ends += 1;
    });
    endsAtOpen.push(ends);
    opened.push(stream);
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { base, opened, endsAtOpen, ends: () => ends };
}

async function read(base: string): Promise<{ response: IncomingMessage; text: () => string }> {
  const response = await new Promise<IncomingMessage>((resolve, reject) =>
    get(`${base}/stream`, resolve).on('error', reject),
  );
  responses.push(response);
  let text = '';
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    text += chunk;
  });
  return { response, text: () => text };
}

const settle = (ms = 4 * KEEP_ALIVE_TEST_MS) => new Promise((resolve) => setTimeout(resolve, ms));

describe('openEventStream', () => {
  it('writes the event-stream head and a keep-alive comment every interval; end() ends it once', async () => {
    const { base, opened, ends } = await streamApp();
    const { response, text } = await read(base);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(EVENT_STREAM_HEAD['content-type']);
    await expect.poll(() => text().split(KEEP_ALIVE_LINE).length - 1).toBeGreaterThanOrEqual(2);
    const stream = opened[0] as EventStream;
    stream.write('event: x\ndata: 1\n\n');
    stream.end();
    stream.end();
    stream.write('event: late\ndata: 2\n\n'); // after the end: nothing, no error
    await once(response, 'end');
    expect(stream.ended).toBe(true);
    expect(ends()).toBe(1);
    expect(text()).toContain('event: x');
    expect(text()).not.toContain('event: late');
    let late = 0;
    stream.onEnd(() => {
      late += 1;
    });
    expect(late).toBe(1); // registered after the end: runs at once
  });

  it('ends once when the client goes away, and once when the server ends it (raw.end)', async () => {
    const { base, opened, ends } = await streamApp();
    const first = await read(base);
    first.response.destroy();
    await expect.poll(ends).toBe(1);
    const second = await read(base);
    (opened[1] as EventStream).raw.end();
    await once(second.response, 'end');
    await expect.poll(ends).toBe(2);
    await settle();
    expect(ends()).toBe(2);
    expect(opened.every((stream) => stream.ended)).toBe(true);
  });

  it('ends at once, writing nothing, when the client was gone before the route opened the stream', async () => {
    const { base, opened, endsAtOpen, ends } = await streamApp((socketClosed) => socketClosed);
    const port = Number(new URL(base).port);
    const socket = connect(port, '127.0.0.1', () => {
      socket.end(`GET /stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    });
    socket.on('data', () => {}).on('error', () => {});
    await expect.poll(() => opened.length).toBe(1);
    expect(endsAtOpen).toEqual([1]); // at once, not at the next keep-alive tick
    expect(ends()).toBe(1);
    expect((opened[0] as EventStream).ended).toBe(true);
    let late = 0;
    (opened[0] as EventStream).onEnd(() => {
      late += 1;
    });
    expect(late).toBe(1);
    await settle();
    expect(ends()).toBe(1);
  });
});

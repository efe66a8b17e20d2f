// test/server-event-streams.test.ts — every server-sent-events route (a job's events, a character's Upload-page
// stream, a model pull's stream) opens through src/server/event-stream.ts: each sends a `: keep-alive` comment
// every KEEP_ALIVE_MS (a proxy drops a connection idle for 60 s), and no keep-alive timer is left once its client
// has gone. A stream that ended while its client was not reading (its last bytes still queued, so no `close` yet)
// stops its keep-alive at once: before, the keep-alive wrote after the end, and its second `write after end`
// error, 15 s on, had no listener and crashed the server. Against a listening server (the replies stay open),
// with setInterval faked (vi.getTimerCount counts the keep-alive timers; the sockets are real).
import { get, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobContext } from '../src/jobs/job-queue.js';
import { KEEP_ALIVE_LINE, KEEP_ALIVE_MS } from '../src/server/event-stream.js';
import { untilStopped } from './helpers/server-fixtures.js';
import { appsClosedAfterEach, createCharacter } from './helpers/test-apps.js';

const { makeApp } = appsClosedAfterEach('event-streams');
const clients: Array<{ destroy: () => void }> = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
  vi.useRealTimers();
});

/** A fetch that never answers until the pull is stopped: the pull stays running (its stream open). */
const hangingFetch = (_url: unknown, init?: RequestInit): Promise<Response> =>
  new Promise((_resolve, reject) => {
    init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
  });

/** `path` opened on the listening `base`: what it sent so far (the response is destroyed after the test). */
async function openStream(
  base: string,
  path: string,
): Promise<{ text: () => string; response: IncomingMessage }> {
  let text = '';
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    get(`${base}${path}`, resolve).on('error', reject);
  });
  clients.push(response);
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('text/event-stream');
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => {
    text += chunk;
  });
  return { text: () => text, response };
}

/** A prep job running `prep`, a character and a running pull on a listening app with setInterval faked. */
async function appWithStreams(prep: (context: JobContext) => Promise<Record<string, unknown>>) {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  const app = await makeApp({
    runners: { prep },
    modelPulls: { fetchImpl: hangingFetch as typeof fetch, retries: 0 },
  });
  const characterId = await createCharacter(app);
  const job = app.queue.submit('prep', characterId, {});
  const pull = await app.inject({ method: 'POST', url: '/api/models/wd-vit-tagger-v3/pull' });
  expect(pull.statusCode).toBe(202);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, base, characterId, jobId: job.id };
}

/** Opens `path` on `base` from a client that reads the head, then nothing more (a stalled connection). */
async function openStalled(base: string, path: string): Promise<void> {
  const port = Number(new URL(base).port);
  const socket: Socket = connect(port, '127.0.0.1');
  clients.push(socket);
  await new Promise<void>((resolve) => {
    socket.once('data', () => {
      socket.pause();
      resolve();
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  });
}

describe('the event streams', () => {
  it('each send a keep-alive comment, and leave no timer once the client is gone', async () => {
    const { base, characterId, jobId } = await appWithStreams((context) => untilStopped(context.signal));
    const paths = [
      `/api/jobs/${jobId}/stream`,
      `/api/characters/${characterId}/stream`,
      '/api/models/wd-vit-tagger-v3/pull/stream',
    ];
    const streams = [];
    for (const path of paths) streams.push(await openStream(base, path));
    expect(vi.getTimerCount()).toBe(paths.length);
    for (const stream of streams) expect(stream.text()).not.toContain(KEEP_ALIVE_LINE);
    vi.advanceTimersByTime(KEEP_ALIVE_MS);
    for (const stream of streams) await expect.poll(stream.text).toContain(KEEP_ALIVE_LINE);
    for (const stream of streams) stream.response.destroy();
    await expect.poll(() => vi.getTimerCount()).toBe(0);
  }, 30_000);

  it('stop the keep-alive of one that ended while its client was not reading; the server stays up', async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // 20 MB of log lines, more than the socket buffers take: the stream's end waits on a client that reads nothing
    const { app, base, jobId } = await appWithStreams(async (context) => {
      await released;
      for (let i = 0; i < 20; i++) context.emit({ type: 'log', message: 'x'.repeat(1_000_000) });
      return {};
    });
    await openStalled(base, `/api/jobs/${jobId}/stream`);
    await openStream(base, '/api/models/wd-vit-tagger-v3/pull/stream'); // still open: its timer stays
    expect(vi.getTimerCount()).toBe(2);
    release();
    await expect.poll(() => app.queue.getJob(jobId).status).toBe('succeeded');
    await expect.poll(() => vi.getTimerCount()).toBe(1);
    // two keep-alive periods: before, each wrote after the end and the second error went uncaught (a crash)
    vi.advanceTimersByTime(KEEP_ALIVE_MS);
    await new Promise((resolve) => setTimeout(resolve, 50));
    vi.advanceTimersByTime(KEEP_ALIVE_MS);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
  }, 30_000);
});

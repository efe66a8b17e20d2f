// test/helpers/fake-hub-server.ts — the core of the fake Hugging Face endpoints (fake-hub.ts, fake-sd15-hub.ts):
// an HTTP server on 127.0.0.1 (HF_ENDPOINT) with a request log, whose files are sent from a Range and can be held
// half-sent (a slow download to cancel, watch or resume); and the per-file set-up of the server tests that use one.
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll } from 'vitest';

export interface FakeHubServer {
  endpoint: string;
  /** What the hub was asked for, in order, in the words of the hub's routes. */
  requests: string[];
  /** While set, a holdable file sends its first half and waits for `release()` before the rest. */
  hold: boolean;
  /** Resolves once a held file has sent its first half (at once if one waits now). */
  halfSent(): Promise<void>;
  /** Sends the rest of every held file. */
  release(): void;
  close(): Promise<void>;
}

/** Sends `body` from the request's `bytes=N-` Range (206) or whole (200), with `headers`; held when `holdable`. */
export type SendFile = (body: Buffer, headers: OutgoingHttpHeaders, holdable: boolean) => void;

/** Answers one request: with `send` for a file, or on `res` itself (a listing, an error). */
export type HubRoute<H extends FakeHubServer> = (
  req: IncomingMessage,
  res: ServerResponse,
  hub: H,
  send: SendFile,
) => void;

/** A kind of fake Hub: the fields it adds to the core's and how it answers. */
export interface FakeHubKind<H extends FakeHubServer> {
  /** The added fields as each test file (and, with fakeHubForFile, each test) starts. */
  fresh: () => Omit<H, keyof FakeHubServer>;
  route: HubRoute<H>;
}

/** The hub, not listening yet, and how to start it. */
function createFakeHubServer<H extends FakeHubServer>(
  kind: FakeHubKind<H>,
): { hub: H; listen(): Promise<void> } {
  let releases: Array<() => void> = [];
  let onHalf: Array<() => void> = [];
  /** A held file has sent its first half and waits. */
  let halfWaiting = false;
  const core: FakeHubServer = {
    endpoint: '',
    requests: [],
    hold: false,
    halfSent: () => new Promise((resolve) => (halfWaiting ? resolve() : onHalf.push(resolve))),
    release: () => {
      halfWaiting = false;
      for (const release of releases.splice(0)) release();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const hub = Object.assign(core, kind.fresh()) as H;
  const server = createServer((req, res) => {
    const send: SendFile = (body, headers, holdable) => {
      const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
      const rest = body.subarray(start);
      res.writeHead(start > 0 ? 206 : 200, {
        ...headers,
        'content-length': rest.length,
        ...(start > 0 ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
      });
      if (!hub.hold || !holdable) return void res.end(rest);
      const half = Math.floor(rest.length / 2);
      res.write(rest.subarray(0, half), () => {
        halfWaiting = true;
        for (const resolve of onHalf.splice(0)) resolve();
      });
      releases.push(() => res.end(rest.subarray(half)));
    };
    kind.route(req, res, hub, send);
  });
  server.on('close', () => {
    releases = [];
    onHalf = [];
  });
  const listen = async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    hub.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  return { hub, listen };
}

/** Starts a fake Hub of `kind` on 127.0.0.1; the caller closes it. */
export async function startFakeHubServer<H extends FakeHubServer>(kind: FakeHubKind<H>): Promise<H> {
  const { hub, listen } = createFakeHubServer(kind);
  await listen();
  return hub;
}

/**
 * Call at a test file's top level: a fake Hub of `kind` for the file (its endpoint known once beforeAll ran).
 * After each test every held file is let go, then the apps in `apps` are closed, then the request log is emptied
 * and the kind's fields set fresh.
 */
export function fakeHubForFile<H extends FakeHubServer>(
  kind: FakeHubKind<H>,
  apps: FastifyInstance[] = [],
): H {
  const { hub, listen } = createFakeHubServer(kind);
  beforeAll(listen);
  afterAll(async () => {
    hub.release();
    await hub.close();
  });
  afterEach(async () => {
    hub.hold = false;
    hub.release();
    for (const app of apps.splice(0)) await app.close();
    hub.requests.length = 0;
    Object.assign(hub, kind.fresh());
  });
  return hub;
}

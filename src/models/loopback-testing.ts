// src/models/loopback-testing.ts — for the download and pull tests: an HTTP server on 127.0.0.1 for one test file,
// and a loopback port where nothing listens (a machine without network, as far as the test can tell).
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from 'vitest';

/**
 * Call at a test file's top level: serves `handler` on 127.0.0.1 from beforeAll to afterAll.
 * @returns the server's base URL (`http://127.0.0.1:<port>`), known once beforeAll ran
 */
export function loopbackServerForFile(handler: RequestListener): () => string {
  const server = createServer(handler);
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return () => base;
}

/** A port on 127.0.0.1 that was free a moment ago and has no listener: connecting is refused. */
export async function closedLoopbackPort(): Promise<number> {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  return port;
}

// test/helpers/loopback-server.ts — a plain HTTP server on 127.0.0.1 for the tests of `toonlora worker`'s side of the
// network (fake servers, proxies and login pages), closed with the test's other closers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';

/** A loopback server answering with `handle`; its close is added to `closers`. Its base URL (`http://127.0.0.1:port`). */
export async function loopbackServer(
  handle: (req: IncomingMessage, res: ServerResponse) => void,
  closers: Array<() => Promise<void>>,
): Promise<string> {
  const server = createServer(handle);
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

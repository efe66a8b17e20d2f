// Tests of downloads through HTTP_PROXY / HTTPS_PROXY / NO_PROXY: a tiny proxy written here (CONNECT tunnels
// and plain forwarded requests) in front of a fake Hub, both on 127.0.0.1; it records what went through it.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { proxyFetchFor, proxySettingsOf } from './proxy-fetch.js';
import { pullModel } from './pull.js';

let hub: Server;
let proxy: Server;
let hubUrl: string;
let proxyUrl: string;
/** The local ports of the proxy's connections to the hub: a hub request from one of them came through it. */
const proxiedPorts = new Set<number>();
/** Each request the hub answered: `<path> proxied` or `<path> direct` (keep-alive tunnels included). */
let hubSaw: string[] = [];
/** Every process warning while this file runs (undici 6 warns once, when the first EnvHttpProxyAgent is made). */
const warnings: string[] = [];
const onWarning = (warning: Error) => warnings.push(warning.message);

const port = (server: Server) => (server.address() as AddressInfo).port;

beforeAll(async () => {
  process.on('warning', onWarning);
  hub = createServer((req, res) => {
    hubSaw.push(`${req.url} ${proxiedPorts.has(req.socket.remotePort ?? 0) ? 'proxied' : 'direct'}`);
    const body = `file at ${req.url}`;
    const sha = createHash('sha256').update(body).digest('hex');
    res.writeHead(200, { 'x-linked-etag': `"${sha}"`, 'content-length': String(body.length) }).end(body);
  });
  proxy = createServer((req, res) => {
    // a plain proxied request: absolute-form URL, forwarded as is
    const target = new URL(req.url ?? '');
    const forward = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('socket', (socket) => socket.on('connect', () => proxiedPorts.add(socket.localPort ?? 0)));
    req.pipe(forward);
  });
  proxy.on('connect', (req, client, head) => {
    const [host, targetPort] = (req.url ?? '').split(':');
    const upstream = connect(Number(targetPort), host, () => {
      proxiedPorts.add(upstream.localPort ?? 0);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  for (const server of [hub, proxy])
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hubUrl = `http://127.0.0.1:${port(hub)}`;
  proxyUrl = `http://127.0.0.1:${port(proxy)}`;
});

afterAll(async () => {
  process.off('warning', onWarning);
  for (const server of [hub, proxy]) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

beforeEach(() => {
  hubSaw = [];
});

describe('proxySettingsOf', () => {
  it('reads the lower-case variables first, and none set is no proxy', () => {
    expect(proxySettingsOf({})).toBeUndefined();
    expect(proxySettingsOf({ NO_PROXY: 'example.com' })).toBeUndefined();
    expect(
      proxySettingsOf({
        https_proxy: 'http://a:1',
        HTTPS_PROXY: 'http://b:2',
        HTTP_PROXY: 'http://c:3',
        NO_PROXY: 'x',
      }),
    ).toEqual({ httpsProxy: 'http://a:1', httpProxy: 'http://c:3', noProxy: 'x' });
  });
});

describe('proxyFetchFor', () => {
  it('is the built-in fetch (undefined) without a proxy variable', () => {
    expect(proxyFetchFor({ NO_PROXY: '*' })).toBeUndefined();
  });

  it('goes through HTTP_PROXY, and straight to a NO_PROXY host', async () => {
    const proxied = proxyFetchFor({ HTTP_PROXY: proxyUrl }) as typeof fetch;
    expect(await (await proxied(`${hubUrl}/a`)).text()).toBe('file at /a');
    const direct = proxyFetchFor({ HTTP_PROXY: proxyUrl, NO_PROXY: '127.0.0.1' }) as typeof fetch;
    expect(await (await direct(`${hubUrl}/b`)).text()).toBe('file at /b');
    expect(hubSaw).toEqual(['/a proxied', '/b direct']);
  });
});

describe('models pull behind a proxy', () => {
  it("downloads a model's files through HTTP_PROXY, without an experimental warning", async () => {
    const root = mkdtempSync(join(tmpdir(), 'toonlora-proxy-'));
    try {
      const env = {
        TOONLORA_HOME: join(root, 'tl'),
        HF_HOME: join(root, 'hf'),
        HF_ENDPOINT: hubUrl,
        HTTP_PROXY: proxyUrl,
      };
      const result = await pullModel('wd-vit-tagger-v3', { env, homeDir: root });
      expect(result.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
      expect(hubSaw.length).toBeGreaterThanOrEqual(2); // the two files (and the commit lookup)
      expect(hubSaw.every((line) => line.endsWith(' proxied'))).toBe(true);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.includes('EnvHttpProxyAgent'))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

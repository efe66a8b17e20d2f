// test/remote-worker-dead-ends.test.ts — what trying again cannot mend (fake servers on loopback, real worker
// processes): a proxy's 413 on the LoRA upload ends the run's final report after one try, saying the size and the
// proxy's body limit (before: uploaded again for the whole final-report window); an auth proxy's 403 on the claim
// ends the worker at once, naming a login in front of serve (before: 3 claims, "not a toonlora server"; once serve
// had answered, forever); a host name that does not resolve and a self-signed certificate end the worker after 3
// claims with what to change (before: tried forever).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { protocolHeaders } from '../src/jobs/remote/protocol.js';
import { runClaim } from '../src/jobs/remote/remote-run.js';
import { WorkerClient } from '../src/jobs/remote/worker-client.js';
import type { runTraining } from '../src/worker/train.js';
import { launcher } from './helpers/tiny-training.js';
import { jobOneClaim, oneImageDatasetZip } from './helpers/worker-claim.js';

const root = mkdtempSync(join(tmpdir(), 'tl-dead-ends-'));
const cleanups: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Listens on loopback with `server` (http or https): its URL. */
async function listen(server: ReturnType<typeof createServer>, scheme: 'http' | 'https') {
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((done) => server.close(done));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return `${scheme}://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** `toonlora worker --server url [...extra]` as a process: its output, its exit code. */
function worker(url: string, extra: readonly string[] = []) {
  const env: NodeJS.ProcessEnv = { ...process.env, TOONLORA_HOME: join(root, 'home'), NO_COLOR: '1' };
  delete env.TOONLORA_TOKEN;
  delete env.NODE_EXTRA_CA_CERTS;
  const child: ChildProcess = spawn(
    launcher,
    ['worker', '--server', url, '--name', 'gpu-a', '--dir', join(root, 'work'), ...extra],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  const add = (chunk: unknown) => {
    output += String(chunk);
  };
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  const exit = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return { exit, output: () => output, last: () => output.trim().split('\n').at(-1) ?? '' };
}

const NGINX_413 =
  '<html>\r\n<head><title>413 Request Entity Too Large</title></head>\r\n<body>\r\n<center><h1>413 Request ' +
  'Entity Too Large</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

const claim = jobOneClaim(60_000);

describe('a proxy in front of serve refusing the LoRA upload', () => {
  it("nginx's 413 page: one try, the LoRA kept, the line says its size and client_max_body_size", async () => {
    const zip = await oneImageDatasetZip();
    let completes = 0;
    const handle: Handler = (req, res) => {
      req.resume();
      req.on('end', () => {
        const path = new URL(req.url ?? '/', 'http://x').pathname;
        if (path.endsWith('/complete')) {
          completes += 1; // nginx answers itself: no toonlora header, an HTML page
          res.writeHead(413, 'Request Entity Too Large', { 'content-type': 'text/html' });
          res.end(NGINX_413);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', ...protocolHeaders() });
        if (path.endsWith('/zip')) res.end(zip);
        else res.end(JSON.stringify({ leaseExpiresAt: new Date().toISOString(), stop: false }));
      });
    };
    const url = await listen(createServer(handle), 'http');
    const lora = Buffer.alloc(3 * 1_048_576 + 100_000, 1);
    const lines: string[] = [];
    const end = await runClaim({
      client: new WorkerClient(url),
      claim,
      workDir: mkdtempSync(join(root, 'work-')),
      say: (line) => lines.push(line),
      train: (async (options) => {
        const kohyaFile = join(options.runDir, 'Mina.safetensors');
        mkdirSync(options.runDir, { recursive: true });
        writeFileSync(kohyaFile, lora);
        return { status: 'done', kohyaFile, steps: 4, lastLoss: 0.1, checkpoint: null, stats: {} };
      }) as typeof runTraining,
      finalRetryMs: [10, 10, 10],
    });
    expect(end, lines.join('\n')).toBe('finished, not uploaded');
    expect(completes).toBe(1);
    const said = lines.find((line) => line.includes('the finished LoRA was not uploaded')) ?? '';
    expect(said).toContain('HTTP 413 Request Entity Too Large, content-type text/html');
    expect(said).toContain(`a proxy in front of ${url} refused the upload of 3.1 MiB`);
    expect(said).toContain('client_max_body_size');
    const kept = /It is kept in (\S+) and uploaded/.exec(said)?.[1] ?? '';
    expect(existsSync(kept) && readFileSync(kept).equals(lora)).toBe(true);
  }, 60_000);
});

describe.concurrent('toonlora worker at an address trying again cannot mend', () => {
  it("an auth proxy's 403 on the claim: stops at once, naming a login in front of serve", async () => {
    let claims = 0;
    const url = await listen(
      createServer((req, res) => {
        req.resume();
        claims += 1;
        res.writeHead(403, { 'content-type': 'text/html' });
        res.end('<html><title>403 Forbidden</title><body>Sign in with your company account</body></html>');
      }),
      'http',
    );
    const run = worker(url);
    expect(await run.exit, run.output()).toBe(1);
    expect(claims).toBe(1);
    expect(run.last()).toContain(
      `POST /api/worker/claim: not a toonlora server reply: HTTP 403 Forbidden, content-type text/html`,
    );
    expect(run.last()).toContain(
      `something in front of ${url} refused this worker: an auth proxy or a login page stands in front of toonlora serve`,
    );
    expect(run.last()).toMatch(/\[TL_ERR_UNAUTHORIZED\]$/);
  }, 120_000);

  it('a host name that does not resolve: stops after 3 claims, exit 2, saying so', async () => {
    // --wait-for-server 0: on a machine with no network address (a CI sandbox) the worker would wait 5 min
    const run = worker('http://toonlora-no-such-host.invalid:7860', ['--wait-for-server', '0']);
    expect(await run.exit, run.output()).toBe(2);
    expect(run.last()).toContain(
      'toonlora worker: toonlora-no-such-host.invalid does not resolve: 3 claims in a row (POST ' +
        'http://toonlora-no-such-host.invalid:7860/api/worker/claim) failed (ENOTFOUND: no DNS name or hosts-file ' +
        'entry for it). Check the --server address',
    );
  }, 120_000);

  const openssl = spawnSync('openssl', ['version']).status === 0;
  it.skipIf(!openssl)(
    'a self-signed certificate: stops after 3 claims, exit 2, naming NODE_EXTRA_CA_CERTS',
    async () => {
      const dir = mkdtempSync(join(root, 'tls-'));
      const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
      const made = spawnSync('openssl', [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
        ...['-keyout', key, '-out', cert],
      ]);
      expect(made.status, String(made.stderr)).toBe(0);
      let requests = 0;
      const server = createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (_req, res) => {
        requests += 1;
        res.end();
      });
      const url = await listen(server as unknown as ReturnType<typeof createServer>, 'https');
      const run = worker(url);
      expect(await run.exit, run.output()).toBe(2);
      expect(requests).toBe(0); // the TLS handshake failed each time
      expect(run.last()).toContain(
        `toonlora worker: ${url}'s TLS certificate is not trusted on this machine: 3 claims in a row (POST ` +
          `${url}/api/worker/claim) failed (DEPTH_ZERO_SELF_SIGNED_CERT): if serve's --tls-cert is self-signed or ` +
          `signed by your own CA, give this worker that CA: NODE_EXTRA_CA_CERTS=/path/to/ca.pem toonlora worker ` +
          `--server ${url}.`,
      );
    },
    120_000,
  );
});

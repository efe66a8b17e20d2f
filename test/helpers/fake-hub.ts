// test/helpers/fake-hub.ts — a fake Hugging Face endpoint on 127.0.0.1 (HF_ENDPOINT) serving the
// wd-vit-tagger-v3 files, for the model-pull tests of the server and the web app: its model.onnx can be held
// half-sent (a slow download to cancel or watch), answered with a wrong sha256, and served from a Range.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const COMMIT = '2'.repeat(40);
export const TAGGER = '/SmilingWolf/wd-vit-tagger-v3/resolve/main/';
/** model.onnx's bytes: 256 KiB, sent in two halves. */
export const ONNX = Buffer.alloc(256 * 1024, 7);
export const TAGS = 'tag_id,name,category,count\n1,blue_hair,0,10\n';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
export const ONNX_SHA256 = sha256(ONNX);

export interface FakeHub {
  endpoint: string;
  /** Paths requested (at `main`), in order (the Range asked for after a space, when one was). */
  requests: string[];
  /** While set, model.onnx sends its first half and waits for `release()` before the rest. */
  hold: boolean;
  /** The sha256 the hub states for model.onnx (x-linked-etag); default the right one. */
  statedSha256: string;
  /** Resolves once a held model.onnx has sent its first half (at once if one waits now). */
  halfSent(): Promise<void>;
  /** Sends the rest of every held model.onnx. */
  release(): void;
  close(): Promise<void>;
}

export async function startFakeHub(): Promise<FakeHub> {
  let releases: Array<() => void> = [];
  let onHalf: Array<() => void> = [];
  /** A held model.onnx has sent its first half and waits. */
  let halfWaiting = false;
  const hub: FakeHub = {
    endpoint: '',
    requests: [],
    hold: false,
    statedSha256: ONNX_SHA256,
    halfSent: () => new Promise((resolve) => (halfWaiting ? resolve() : onHalf.push(resolve))),
    release: () => {
      halfWaiting = false;
      for (const release of releases.splice(0)) release();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((req, res) => {
    // like the Hub, files are served at any revision (resolve/main and resolve/<commit>)
    const url = (req.url ?? '').replace(/\/resolve\/[0-9a-f]{40}\//, '/resolve/main/');
    hub.requests.push(req.headers.range ? `${url} ${req.headers.range}` : url);
    const headers = { 'x-repo-commit': COMMIT };
    if (url === `${TAGGER}selected_tags.csv`) {
      res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(TAGS) });
      return void res.end(TAGS);
    }
    if (url !== `${TAGGER}model.onnx`) return void res.writeHead(404).end();
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const body = ONNX.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      ...headers,
      'x-linked-etag': `"${hub.statedSha256}"`,
      'content-length': body.length,
      ...(start > 0 ? { 'content-range': `bytes ${start}-${ONNX.length - 1}/${ONNX.length}` } : {}),
    });
    if (!hub.hold) return void res.end(body);
    const half = Math.floor(body.length / 2);
    res.write(body.subarray(0, half), () => {
      halfWaiting = true;
      for (const resolve of onHalf.splice(0)) resolve();
    });
    releases.push(() => res.end(body.subarray(half)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hub.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  server.on('close', () => {
    releases = [];
    onHalf = [];
  });
  return hub;
}

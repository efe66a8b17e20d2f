// test/helpers/fake-hub.ts — a fake Hugging Face endpoint (fake-hub-server.ts) serving the
// wd-vit-tagger-v3 files, for the model-pull tests of the server and the web app: its model.onnx can be held
// half-sent (a slow download to cancel or watch), answered with a wrong sha256, and served from a Range.
import { createHash } from 'node:crypto';
import { type FakeHubKind, type FakeHubServer, startFakeHubServer } from './fake-hub-server.js';

export const COMMIT = '2'.repeat(40);
export const TAGGER = '/SmilingWolf/wd-vit-tagger-v3/resolve/main/';
/** model.onnx's bytes: 256 KiB, sent in two halves. */
export const ONNX = Buffer.alloc(256 * 1024, 7);
export const TAGS = 'tag_id,name,category,count\n1,blue_hair,0,10\n';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
export const ONNX_SHA256 = sha256(ONNX);

export interface FakeHub extends FakeHubServer {
  /** Paths requested (at `main`), in order (the Range asked for after a space, when one was); `hold` holds model.onnx. */
  requests: string[];
  /** The sha256 the hub states for model.onnx (x-linked-etag); default the right one. */
  statedSha256: string;
}

/** The tagger's hub: files at any revision, every answer with x-repo-commit, 404 for anything else. */
export const TAGGER_HUB: FakeHubKind<FakeHub> = {
  fresh: () => ({ statedSha256: ONNX_SHA256 }),
  route: (req, res, hub, send) => {
    // like the Hub, files are served at any revision (resolve/main and resolve/<commit>)
    const url = (req.url ?? '').replace(/\/resolve\/[0-9a-f]{40}\//, '/resolve/main/');
    hub.requests.push(req.headers.range ? `${url} ${req.headers.range}` : url);
    const headers = { 'x-repo-commit': COMMIT };
    if (url === `${TAGGER}selected_tags.csv`) {
      res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(TAGS) });
      return void res.end(TAGS);
    }
    if (url !== `${TAGGER}model.onnx`) return void res.writeHead(404).end();
    send(ONNX, { ...headers, 'x-linked-etag': `"${hub.statedSha256}"` }, true);
  },
};

/** Starts the tagger's hub; the caller closes it (fakeHubForFile(TAGGER_HUB) does it for a test file). */
export const startFakeHub = (): Promise<FakeHub> => startFakeHubServer(TAGGER_HUB);

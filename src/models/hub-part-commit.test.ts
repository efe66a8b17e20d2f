// A Hub pull's `.part` files are kept per commit, not per revision: a pull of main stopped mid-file, then main moved
// on the Hub, must not resume the old commit's bytes into the new commit's file (a mirror that sends no ETag,
// x-linked-etag nor x-repo-commit leaves nothing else to tell them apart).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitFiles, NEW_COMMIT, OLD_COMMIT, REV_REPO, revisionHubForFile } from './hub-revision-testing.js';
import { pullModel } from './pull.js';

const hub = revisionHubForFile();
const UNET = 'unet/diffusion_pytorch_model.safetensors';

/**
 * The fake Hub behind a mirror that answers Range requests and sends no content tag; `cutAt` stops the UNet's
 * body after that many bytes (a dropped connection).
 */
function tagLessMirror(ranges: string[], cutAt?: number): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (!String(input).includes('/resolve/')) return response;
    const whole = new Uint8Array(await response.arrayBuffer());
    const range = new Headers(init?.headers).get('range');
    if (String(input).endsWith(UNET)) ranges.push(range ?? 'none');
    const from = range ? Number(/bytes=(\d+)-/.exec(range)?.[1]) : 0;
    const body = whole.subarray(from);
    const headers: Record<string, string> = { 'content-length': String(body.length) };
    if (range) headers['content-range'] = `bytes ${from}-${whole.length - 1}/${whole.length}`;
    const status = range ? 206 : 200;
    if (cutAt === undefined || !String(input).endsWith(UNET)) return new Response(body, { status, headers });
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(body.subarray(0, cutAt));
        await new Promise((resolve) => setTimeout(resolve, 50)); // the bytes sent reach the disk first
        controller.error(new Error('cable pulled'));
      },
    });
    return new Response(stream, { status, headers });
  };
}

describe('a stopped Hub pull resumed after its branch moved', () => {
  it("starts the new commit's file afresh instead of joining the old commit's bytes to it", async () => {
    const ranges: string[] = [];
    const stopped = pullModel(REV_REPO, { ...hub.opts(), fetchImpl: tagLessMirror(ranges, 20), retries: 0 });
    await expect(stopped).rejects.toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    // the first 20 bytes of OLD's UNet ("unet-weights@aaaaaaa") differ from NEW's
    expect(commitFiles(OLD_COMMIT).get(UNET)?.subarray(0, 20)).not.toEqual(
      commitFiles(NEW_COMMIT).get(UNET)?.subarray(0, 20),
    );
    hub.refs.set('main', NEW_COMMIT);
    ranges.length = 0;
    const result = await pullModel(REV_REPO, { ...hub.opts(), fetchImpl: tagLessMirror(ranges), retries: 0 });
    expect(result.commit).toBe(NEW_COMMIT);
    expect(ranges).toEqual(['none']); // fetched whole: no Range from the old commit's 20 bytes
    const unet = join(hub.repoDir(), 'snapshots', NEW_COMMIT, UNET);
    expect(readFileSync(unet)).toEqual(commitFiles(NEW_COMMIT).get(UNET));
  });

  it('still resumes a stopped pull of the same commit with a Range request', async () => {
    const ranges: string[] = [];
    const stopped = pullModel(REV_REPO, { ...hub.opts(), fetchImpl: tagLessMirror(ranges, 20), retries: 0 });
    await expect(stopped).rejects.toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
    ranges.length = 0;
    const result = await pullModel(REV_REPO, { ...hub.opts(), fetchImpl: tagLessMirror(ranges), retries: 0 });
    expect(result.commit).toBe(OLD_COMMIT);
    expect(ranges).toEqual(['bytes=20-']);
    const unet = join(hub.repoDir(), 'snapshots', OLD_COMMIT, UNET);
    expect(readFileSync(unet)).toEqual(commitFiles(OLD_COMMIT).get(UNET));
  });
});

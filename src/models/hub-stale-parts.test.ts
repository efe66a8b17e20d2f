// Tests of the `.part` files `models pull owner/name` leaves per commit (stale-parts.ts): once its branch moved, a
// pull of that branch removes the old commit's and says how much it freed; another revision's stopped pull is kept
// (its pull resumes it), and so is a `.part` a live pull is writing (it holds the repo's lock).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hfPartialDir } from './cache-paths.js';
import { NEW_COMMIT, OLD_COMMIT, REV_REPO, revisionHubForFile } from './hub-revision-testing.js';
import { describeModels } from './model-status.js';
import { type PullOptions, pullModel } from './pull.js';

const hub = revisionHubForFile();
const UNET = 'unet/diffusion_pytorch_model.safetensors';
const CUT_BYTES = 20;
const partOf = (commit: string) => join(hfPartialDir(hub.repoDir(), commit), `${UNET}.part`);

/** A fetch whose UNet download drops after CUT_BYTES (what reached the disk stays in its `.part`). */
const cutting: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  if (!String(input).endsWith(UNET) || !response.body) return response;
  const reader = response.body.getReader();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent >= CUT_BYTES) {
        await new Promise((resolve) => setTimeout(resolve, 50)); // the bytes sent reach the disk first
        return void controller.error(new Error('cable pulled'));
      }
      const chunk = await reader.read();
      const part = (chunk.value ?? new Uint8Array()).subarray(0, CUT_BYTES - sent);
      sent += part.length;
      controller.enqueue(part);
    },
  });
  return new Response(body, { status: response.status, headers: response.headers });
};

/** A pull of `revision` stopped in its UNet download: CUT_BYTES in the `.part` of the commit it named. */
async function stoppedPull(revision: string, commit: string): Promise<void> {
  const options = { ...hub.opts(), revision, fetchImpl: cutting, retries: 0 };
  await expect(pullModel(REV_REPO, options)).rejects.toMatchObject({ code: 'TL_ERR_DOWNLOAD' });
  expect(statSync(partOf(commit)).size).toBe(CUT_BYTES);
}

/** Pull options that keep what the pull says (onNotice). */
function heard(extra: PullOptions = {}) {
  const notices: { kind: string; message: string }[] = [];
  const options: PullOptions = {
    ...hub.opts(),
    ...extra,
    onNotice: ({ kind, message }) => notices.push({ kind, message }),
  };
  return { options, notices };
}

describe('models pull owner/name: .part files of a commit no pull resumes', () => {
  it('a pull of main after main moved removes the old commit’s .part files and says how much it freed', async () => {
    await stoppedPull('main', OLD_COMMIT);
    const listed = describeModels({ env: hub.opts().env, homeDir: hub.opts().homeDir }).at(-1);
    expect(listed).toMatchObject({ id: REV_REPO, present: false });
    hub.refs.set('main', NEW_COMMIT);
    const { options, notices } = heard();
    const result = await pullModel(REV_REPO, options);
    expect(result).toMatchObject({ commit: NEW_COMMIT });
    expect(existsSync(partOf(OLD_COMMIT))).toBe(false);
    expect(existsSync(join(hub.repoDir(), '.toonlora-partial'))).toBe(false); // nothing left behind
    expect(notices).toEqual([
      {
        kind: 'removed',
        message:
          `${REV_REPO}: freed ${CUT_BYTES} B: removed the .part files stopped pulls left at ${OLD_COMMIT.slice(0, 12)}, ` +
          `which no pull resumes now that main is ${NEW_COMMIT.slice(0, 12)}`,
      },
    ]);
  });

  it('keeps the .part files of a stopped pull of another revision, which its next pull resumes', async () => {
    hub.refs.set('v1.0', NEW_COMMIT);
    await stoppedPull('v1.0', NEW_COMMIT);
    const { options, notices } = heard();
    await pullModel(REV_REPO, options); // main, at OLD_COMMIT
    expect(notices).toEqual([]);
    expect(statSync(partOf(NEW_COMMIT)).size).toBe(CUT_BYTES);
    hub.requests = [];
    await pullModel(REV_REPO, { ...hub.opts(), revision: 'v1.0' });
    // resumed: the UNet was fetched once more, and its part is gone with the rest of that commit's folder
    expect(hub.requests.filter((url) => url.endsWith(UNET))).toHaveLength(1);
    expect(readdirSync(join(hub.repoDir(), 'snapshots')).sort()).toEqual([OLD_COMMIT, NEW_COMMIT]);
    expect(existsSync(join(hub.repoDir(), '.toonlora-partial'))).toBe(false);
  });

  it('keeps the .part file a live pull is writing: a pull of the moved branch waits for it first', async () => {
    // pull A (main, at OLD_COMMIT) holds the repo's lock with CUT_BYTES of its UNet on disk, the rest held back
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const hanging: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith(UNET)) return response;
      const body = Buffer.from(await response.arrayBuffer());
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(body.subarray(0, CUT_BYTES));
          await held;
          controller.enqueue(body.subarray(CUT_BYTES));
          controller.close();
        },
      });
      return new Response(stream, { status: response.status, headers: response.headers });
    };
    const a = pullModel(REV_REPO, { ...hub.opts(), fetchImpl: hanging });
    await expect
      .poll(() => existsSync(partOf(OLD_COMMIT)) && statSync(partOf(OLD_COMMIT)).size)
      .toBe(CUT_BYTES);
    // main moves; pull B of it finds A's part stale for main, but A holds the lock: B waits, A's part stays
    hub.refs.set('main', NEW_COMMIT);
    const waits: string[] = [];
    const { options, notices } = heard({ onWaitForLock: (message) => waits.push(message) });
    const b = pullModel(REV_REPO, options);
    await expect.poll(() => waits.length, { timeout: 20_000 }).toBe(1);
    expect(statSync(partOf(OLD_COMMIT)).size).toBe(CUT_BYTES);
    release();
    expect(await a).toMatchObject({ commit: OLD_COMMIT });
    expect(await b).toMatchObject({ commit: NEW_COMMIT });
    expect(notices.map((n) => n.kind)).toEqual(['refresh']); // A committed its part: nothing stale was left
    expect(existsSync(join(hub.repoDir(), 'snapshots', OLD_COMMIT, UNET))).toBe(true);
    expect(existsSync(join(hub.repoDir(), '.toonlora-partial'))).toBe(false);
  });
});

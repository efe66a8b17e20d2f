// Tests for ModelPulls with a stand-in pull: what a finished pull's snapshot says (the notice of a moved or
// unchecked cached copy kept as its message; its bytes meeting modelBytes after a resume); its listener map keeps
// no entry for a model nobody follows.
import { describe, expect, it } from 'vitest';
import type { PullOptions, PullResult } from '../../../models/pull.js';
import type { ModelPull } from '../../../schemas/models-api.js';
import { ModelPulls } from './model-pulls.js';

const REPO = 'someone/toon-sd15';
const MOVED = `${REPO}: main moved on the Hub from aaaaaaaaaaaa to bbbbbbbbbbbb; pulling the new snapshot (the old one stays in /x)`;

/** Runs one pull of REPO through `pull` and resolves with its last snapshot. */
async function finished(pull: (options: PullOptions) => Promise<PullResult>): Promise<ModelPull> {
  const pulls = new ModelPulls({ pull: (_id, options) => pull(options) });
  const ended = new Promise<ModelPull>((resolve) =>
    pulls.subscribe(REPO, (snapshot) => snapshot.status === 'succeeded' && resolve(snapshot)),
  );
  pulls.start(REPO);
  return await ended;
}

describe('ModelPulls', () => {
  it("keeps the 'main moved' notice as the pull's message to its end (before: the next file start cleared it)", async () => {
    const pull = await finished(async (options) => {
      options.onNotice?.({ modelId: REPO, kind: 'refresh', message: MOVED });
      options.onListed?.({ modelId: REPO, commit: 'b'.repeat(40), totalBytes: 10 });
      options.onFileStart?.({ modelId: REPO, file: 'unet/x.safetensors', url: 'u', totalBytes: 10 });
      options.onFileDone?.({ modelId: REPO, file: 'unet/x.safetensors', path: '/nope', bytes: 10 });
      return { id: REPO, files: [], totalBytes: 10 };
    });
    expect(pull.message).toBe(MOVED);
  });

  it('ends a resumed pull with doneBytes equal to modelBytes (before: only the bytes fetched after the resume)', async () => {
    const pull = await finished(async (options) => {
      options.onListed?.({ modelId: REPO, commit: 'a'.repeat(40), totalBytes: 8_388_836 });
      options.onFileStart?.({ modelId: REPO, file: 'unet/x.safetensors', url: 'u', totalBytes: 8_388_608 });
      options.onFileDone?.({
        modelId: REPO,
        file: 'unet/x.safetensors',
        path: '/nope',
        bytes: 8_388_619 - 217,
      });
      return {
        id: REPO,
        files: [
          { file: 'model_index.json', path: '/nope/model_index.json', status: 'present' },
          { file: 'unet/x.safetensors', path: '/nope/unet/x.safetensors', status: 'downloaded' },
        ],
        totalBytes: 8_388_836,
      };
    });
    expect(pull).toMatchObject({
      status: 'succeeded',
      modelBytes: 8_388_836,
      doneBytes: 8_388_836,
      filesDone: 1,
    });
    expect(pull.message).toBeNull();
  });
});

describe('ModelPulls.start with a revision', () => {
  it('pulls a Hub repo at the revision asked for, and refuses one for a registry model or one no ref can be', async () => {
    const asked: (string | undefined)[] = [];
    const pulls = new ModelPulls({
      pull: async (_id, options) => {
        asked.push(options.revision);
        return { id: REPO, files: [], totalBytes: 0 };
      },
    });
    const ended = new Promise<void>((resolve) =>
      pulls.subscribe(REPO, (snapshot) => snapshot.status === 'succeeded' && resolve()),
    );
    pulls.start(REPO, 'v1.0');
    await ended;
    expect(asked).toEqual(['v1.0']);
    expect(() => pulls.start('anything-v5', 'v1.0')).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_USAGE',
        message: expect.stringContaining('a revision is for a Hub repo outside the registry'),
      }),
    );
    // the REST answer names the API's `revision`, not the CLI's --revision flag
    expect(() => pulls.start(REPO, '..')).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_USAGE',
        message: expect.stringMatching(/^[^:]+: revision "\.\." is not a branch, tag or commit sha \(/),
      }),
    );
    expect(() => pulls.start(REPO, '..')).not.toThrow(/--revision/);
    expect(pulls.isRunning('anything-v5')).toBe(false);
  });
});

describe('ModelPulls.subscribe', () => {
  it("removes a model's listener entry with its last listener (before: an empty set stayed per model)", async () => {
    const pulls = new ModelPulls({ pull: async () => ({ id: REPO, files: [], totalBytes: 0 }) });
    // the private map itself: what grew is its number of entries, which no public call shows
    const entries = () => (pulls as unknown as { listeners: Map<string, unknown> }).listeners.size;
    const first = pulls.subscribe(REPO, () => undefined);
    const second = pulls.subscribe(REPO, () => undefined);
    const other = pulls.subscribe('anything-v5', () => undefined);
    expect(entries()).toBe(2);
    first();
    expect(entries()).toBe(2);
    second();
    other();
    expect(entries()).toBe(0);

    // an unsubscribe called again, after a new listener came, leaves the new one subscribed
    const ended = new Promise<void>((resolve) =>
      pulls.subscribe(REPO, (snapshot) => snapshot.status === 'succeeded' && resolve()),
    );
    second();
    expect(entries()).toBe(1);
    pulls.start(REPO);
    await ended;
  });
});

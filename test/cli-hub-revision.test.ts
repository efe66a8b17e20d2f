// test/cli-hub-revision.test.ts — `toonlora models pull` of a Hub repo at a tag against the fake Hub of
// fake-sd15-hub.ts (which served main only, so a probe could not try --revision against it): `--revision v1.0`, and
// a pasted address ending in /tree/v1.0, which was refused as no model id.
import { describe, expect, it } from 'vitest';
import { withCliTestIo } from '../src/cli/cli-test-io.js';
import { runCli } from '../src/cli/program.js';
import { fakeHubForFile } from './helpers/fake-hub-server.js';
import { HUB_COMMIT, SD15_HUB, SD15_REPO, SD15_TAG } from './helpers/fake-sd15-hub.js';

const io = withCliTestIo('toonlora-cli-hub-rev-');
const hub = fakeHubForFile(SD15_HUB);
const LISTING = `/api/models/${SD15_REPO}/revision/${SD15_TAG}?blobs=true`;

describe('models pull owner/name at a tag', () => {
  it('pulls --revision v1.0, listed as the base owner/name@v1.0', async () => {
    process.env.HF_ENDPOINT = hub.endpoint;
    expect(await runCli(['models', 'pull', SD15_REPO, '--revision', SD15_TAG])).toBe(0);
    expect(hub.requests[0]).toBe(LISTING);
    expect(io.stdout).toContain(`${SD15_REPO}: ok`);
    io.stdout = '';
    expect(await runCli(['models', 'path', SD15_REPO, '--revision', SD15_TAG])).toBe(0);
    expect(io.stdout).toContain(`models--someone--toon-sd15/snapshots/${HUB_COMMIT}\n`);
  }, 30_000);

  it('reads a pasted address …/tree/v1.0 as the repo at that tag (was: unknown model id)', async () => {
    process.env.HF_ENDPOINT = hub.endpoint;
    const address = `https://huggingface.co/${SD15_REPO}/tree/${SD15_TAG}`;
    expect(await runCli(['models', 'pull', address])).toBe(0);
    expect(hub.requests[0]).toBe(LISTING);
    expect(await runCli(['models', 'path', SD15_REPO, '--revision', SD15_TAG])).toBe(0);
    expect(await runCli(['models', 'pull', address, '--revision', 'main'])).toBe(2);
    expect(io.stderr).toContain('the address given shows revision v1.0, but --revision is main');
  }, 30_000);
});

// Tests of `toonlora models rm` through the real CLI entry (in process): a Hub repo pulled from the multi-commit fake
// Hub removed with the bytes freed (text and --json), "not present" (exit 1), an unknown name (exit 2, nothing
// removed) and a release model's folder.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../format-bytes.js';
import { OLD_COMMIT, pullBytesOf, REV_REPO, revisionHubForFile } from '../../models/hub-revision-testing.js';
import { withCliTestIo } from '../cli-test-io.js';
import { runCli } from '../program.js';

const io = withCliTestIo('toonlora-cli-models-rm-');
const hub = revisionHubForFile();
const repoDir = () => join(io.root, 'hf', 'hub', `models--${REV_REPO.replace('/', '--')}`);

describe('toonlora models rm', () => {
  it('removes a pulled Hub repo, printing the bytes freed; models list no longer has it', async () => {
    process.env.HF_ENDPOINT = hub.endpoint;
    expect(await runCli(['models', 'pull', REV_REPO])).toBe(0);
    const freed = pullBytesOf(OLD_COMMIT) + OLD_COMMIT.length; // its files and refs/main
    io.stdout = '';
    expect(await runCli(['models', 'rm', REV_REPO])).toBe(0);
    expect(io.stdout).toBe(`${REV_REPO}: removed, ${formatBytes(freed)} freed (${repoDir()})\n`);
    expect(existsSync(repoDir())).toBe(false);
    io.stdout = '';
    expect(await runCli(['models', 'list', '--json'])).toBe(0);
    expect(JSON.parse(io.stdout).map((m: { id: string }) => m.id)).not.toContain(REV_REPO);
  });

  it('--json: removed, notPresent and the bytes; exit 1 when one is not present, the others still removed', async () => {
    const u2net = join(io.root, 'tl', 'models', 'u2net');
    mkdirSync(u2net, { recursive: true });
    writeFileSync(join(u2net, 'u2net.onnx'), 'x'.repeat(1234));
    expect(await runCli(['models', 'rm', 'u2net', REV_REPO, '--json'])).toBe(1);
    expect(JSON.parse(io.stdout)).toEqual({
      removed: [{ id: 'u2net', paths: [u2net], freedBytes: 1234 }],
      notPresent: [
        {
          id: REV_REPO,
          message: `${REV_REPO}: not present (the Hugging Face cache has no folder of it); nothing was removed`,
        },
      ],
      failed: [],
      freedBytes: 1234,
    });
    expect(existsSync(u2net)).toBe(false);
  });

  it('refuses an unknown name before removing anything (exit 2)', async () => {
    const u2net = join(io.root, 'tl', 'models', 'u2net');
    mkdirSync(u2net, { recursive: true });
    writeFileSync(join(u2net, 'u2net.onnx'), 'x');
    expect(await runCli(['models', 'rm', 'u2net', 'nonsense'])).toBe(2);
    expect(io.stderr).toContain('unknown id "nonsense"');
    expect(existsSync(u2net)).toBe(true);
  });
});

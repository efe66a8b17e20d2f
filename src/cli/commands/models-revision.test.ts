// Tests of `toonlora models pull|path owner/name --revision` and of what `models pull` says when it refreshes a
// cached Hub repo, through the real CLI entry (in process), against the multi-commit fake Hub.
import { describe, expect, it } from 'vitest';
import { NEW_COMMIT, OLD_COMMIT, REV_REPO, revisionHubForFile } from '../../models/hub-revision-testing.js';
import { pullJsonLineSchema } from '../../models/pull-json-lines.js';
import { withCliTestIo } from '../cli-test-io.js';
import { runCli } from '../program.js';
import { listedText } from './models-list-testing.js';

const io = withCliTestIo('toonlora-cli-models-rev-');
const hub = revisionHubForFile();

const jsonLines = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .map((line) => pullJsonLineSchema.parse(JSON.parse(line)));

describe('models pull|path owner/name --revision', () => {
  it('pulls a tag; models path --revision prints its snapshot, and without it names the pull', async () => {
    process.env.HF_ENDPOINT = hub.endpoint;
    expect(await runCli(['models', 'pull', REV_REPO, '--revision', 'v1.0'])).toBe(0);
    expect(hub.requests[0]).toBe(`/api/models/${REV_REPO}/revision/v1.0?blobs=true`);
    expect(await runCli(['models', 'path', REV_REPO, '--revision', 'v1.0'])).toBe(0);
    expect(io.stdout).toContain(`models--someone--toon-sd15/snapshots/${OLD_COMMIT}\n`);
    expect(await runCli(['models', 'path', REV_REPO, '--revision', 'refs/pr/1'])).toBe(1);
    expect(io.stderr).toContain(`Run: toonlora models pull ${REV_REPO} --revision refs/pr/1`);
  });

  it('takes owner/name@REV as --revision REV in pull and path (as models list names it), and refuses a clash', async () => {
    process.env.HF_ENDPOINT = hub.endpoint;
    expect(await runCli(['models', 'pull', `${REV_REPO}@v1.0`])).toBe(0);
    expect(hub.requests[0]).toBe(`/api/models/${REV_REPO}/revision/v1.0?blobs=true`);
    expect(io.stdout).toContain(`${REV_REPO}: ok\n`);
    expect(await runCli(['models', 'path', `${REV_REPO}@v1.0`])).toBe(0);
    expect(io.stdout).toContain(`models--someone--toon-sd15/snapshots/${OLD_COMMIT}\n`);
    expect(await runCli(['models', 'path', `${REV_REPO}@v1.0`, '--revision', 'v1.0'])).toBe(0);
    hub.requests = [];
    expect(await runCli(['models', 'path', `${REV_REPO}@v1.0`, '--revision', 'main'])).toBe(2);
    expect(io.stderr).toContain(`models path: ${REV_REPO}@v1.0 names revision v1.0, but --revision is main`);
    expect(await runCli(['models', 'pull', `${REV_REPO}@v1.0`, '--revision', 'main'])).toBe(2);
    expect(io.stderr).toContain(`models pull: ${REV_REPO}@v1.0 names revision v1.0, but --revision is main`);
    expect(await runCli(['models', 'pull', `${REV_REPO}@`])).toBe(2);
    expect(io.stderr).toContain(`"${REV_REPO}@": the revision after '@' is not a branch, tag or commit sha`);
    expect(io.stderr).not.toContain('unknown id');
    expect(hub.requests).toEqual([]);
  });

  it('lists a repo pulled only at a tag as present at it, not as main (before: yes, or partial)', async () => {
    process.env.HF_ENDPOINT = hub.endpoint;
    expect(await runCli(['models', 'pull', REV_REPO, '--revision', 'v1.0'])).toBe(0);
    io.stdout = '';
    expect(await runCli(['models', 'list'])).toBe(0);
    const row = () => listedText(io.stdout, new RegExp(` ${REV_REPO} `));
    expect(row()).toMatch(/^at v1\.0 only +someone\/toon-sd15 /);
    expect(row()).toMatch(
      new RegExp(
        `snapshots/${OLD_COMMIT} \\(--base ${REV_REPO}@v1\\.0; main is not pulled: toonlora models pull ${REV_REPO}\\)$`,
      ),
    );
    expect(await runCli(['models', 'pull', REV_REPO])).toBe(0);
    io.stdout = '';
    expect(await runCli(['models', 'list'])).toBe(0);
    expect(row()).toMatch(/^yes +someone\/toon-sd15 /);
    expect(row()).toMatch(/ \(--base someone\/toon-sd15@v1\.0\)$/);
  });

  it('refuses --revision with a registry model or several ids, before any request', async () => {
    process.env.HF_ENDPOINT = hub.endpoint;
    expect(await runCli(['models', 'pull', 'anything-v5', '--revision', 'v1.0'])).toBe(2);
    expect(io.stderr).toContain('--revision v1.0 goes with one Hub repo outside the registry');
    expect(await runCli(['models', 'pull', REV_REPO, 'other/repo', '--revision', 'v1.0'])).toBe(2);
    expect(hub.requests).toEqual([]);
  });

  it('says on stderr, and as a refresh notice with --json, that main moved and the new snapshot is pulled', async () => {
    process.env.HF_ENDPOINT = hub.endpoint;
    expect(await runCli(['models', 'pull', REV_REPO])).toBe(0);
    hub.refs.set('main', NEW_COMMIT);
    const before = io.stdout.length;
    expect(await runCli(['models', 'pull', REV_REPO, '--json'])).toBe(0);
    const lines = jsonLines(io.stdout.slice(before));
    expect(lines[0]).toMatchObject({
      type: 'notice',
      model: REV_REPO,
      kind: 'refresh',
      message: expect.stringContaining(`main moved on the Hub from ${OLD_COMMIT.slice(0, 12)}`),
    });
    expect(lines.at(-1)).toMatchObject({ type: 'result', pulled: [{ id: REV_REPO, commit: NEW_COMMIT }] });

    process.env.HF_HUB_OFFLINE = '1';
    expect(await runCli(['models', 'pull', REV_REPO])).toBe(0);
    expect(io.stderr).toContain(
      `models pull: ${REV_REPO}: could not check whether main moved on the Hub (offline mode is on`,
    );
    expect(io.stdout).toContain(`${REV_REPO}: already present`);
  });
});

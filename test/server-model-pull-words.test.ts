// test/server-model-pull-words.test.ts — a failed pull on the Models page (POST /api/models/:id/pull against a fake
// Hub that refuses every file) says the steps only whoever runs the server can take in the web app's words: a gated
// repo or a refused token, a revision or file the Hub (or a mirror) does not have, HF_HUB_OFFLINE; `models pull`
// prints the same error in the CLI's words, unchanged.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { pullModel } from '../src/models/pull.js';
import { buildApp } from '../src/server/app.js';
import { byHandInWebWords } from '../src/server/routes/models/pull-state.js';
import { type FakeHubServer, fakeHubForFile } from './helpers/fake-hub-server.js';
import { pullEnded } from './helpers/model-pull-polls.js';
import { tempDataDir } from './helpers/server-fixtures.js';

const MODEL = 'wd-vit-tagger-v3';
const FILE = 'HUB/SmilingWolf/wd-vit-tagger-v3/resolve/main/model.onnx';
const PAGE = 'HUB/SmilingWolf/wd-vit-tagger-v3';

interface RefusingHub extends FakeHubServer {
  /** The status every request gets, and the Hub's X-Error-Code with it (none: null). */
  status: number;
  errorCode: string | null;
}

const apps: FastifyInstance[] = [];
const hub = fakeHubForFile<RefusingHub>(
  {
    fresh: () => ({ status: 403, errorCode: null }),
    route: (req, res, h) => {
      h.requests.push(req.url ?? '');
      res.writeHead(h.status, h.errorCode === null ? {} : { 'x-error-code': h.errorCode }).end();
    },
  },
  apps,
);

/** The pull's error on the Models page and `models pull`'s, with the fake Hub's address as HUB. */
async function bothErrors(env: Record<string, string> = {}) {
  const homeDir = mkdtempSync(join(tmpdir(), 'toonlora-pullwords-home-'));
  const cache = { env: { HF_ENDPOINT: hub.endpoint, ...env }, homeDir };
  const app = await buildApp({
    dataDir: tempDataDir('pullwords'),
    webDir: '/nonexistent',
    deferJobs: true,
    modelCache: cache,
    modelPulls: { retries: 0, idleTimeoutMs: 5_000 },
  });
  apps.push(app);
  await app.ready();
  expect((await app.inject({ method: 'POST', url: `/api/models/${MODEL}/pull` })).statusCode).toBe(202);
  const pull = await pullEnded(app, MODEL);
  expect(pull.status).toBe('failed');
  const cli = await pullModel(MODEL, { ...cache, retries: 0 }).then(
    () => expect.fail('the CLI pull should have failed'),
    (error: Error) => error.message,
  );
  const plain = (text: string) => text.replaceAll(hub.endpoint, 'HUB').replaceAll(homeDir, 'HOME');
  return { web: plain(pull.error?.message ?? ''), cli: plain(cli), code: pull.error?.code };
}

const byHandCli = `Or place the file at HOME/.cache/toonlora/models/${MODEL}/model.onnx by hand`;

describe('a failed pull on the Models page, in the web words', () => {
  it('a gated repo: whoever runs the server gives the token (before: "set HF_TOKEN … `hf auth login`")', async () => {
    hub.errorCode = 'GatedRepo';
    const { web, cli, code } = await bothErrors();
    const head = `${MODEL}: cannot download ${FILE}: HTTP 403 Forbidden: SmilingWolf/wd-vit-tagger-v3 is gated or private, or the token was refused. Accept its terms on ${PAGE} (logged in), then`;
    expect(code).toBe('TL_ERR_DOWNLOAD');
    expect(cli).toBe(
      `${head} set HF_TOKEN to a token of that account or run \`hf auth login\`. ${byHandCli}`,
    );
    expect(web).toBe(
      `${head} whoever runs the server can give it a token of that account (HF_TOKEN, or "hf auth login" on the server). ${byHandInWebWords(MODEL)}`,
    );
  }, 30_000);

  it('a refused token (401) with HF_TOKEN set: the same words', async () => {
    hub.status = 401;
    const { web, cli } = await bothErrors({ HF_TOKEN: 'hf_wrong' });
    expect(cli).toContain('HTTP 401 Unauthorized: SmilingWolf/wd-vit-tagger-v3 is gated or private');
    expect(cli).toContain('then set HF_TOKEN to a token of that account or run `hf auth login`.');
    expect(web).toContain('then whoever runs the server can give it a token of that account');
    expect(web).not.toMatch(/set HF_TOKEN|HOME/);
  }, 30_000);

  it('a revision or file not on the Hub or a mirror: whoever runs the server checks HF_ENDPOINT', async () => {
    hub.status = 404;
    const { web, cli } = await bothErrors();
    const head = `${MODEL}: cannot download ${FILE}: HTTP 404 Not Found: the file or revision is not on the Hub (${PAGE};`;
    expect(cli).toBe(`${head} check HF_ENDPOINT if it is a mirror). ${byHandCli}`);
    expect(web).toBe(
      `${head} whoever runs the server can check its HF_ENDPOINT if that is a mirror). ${byHandInWebWords(MODEL)}`,
    );
    hub.errorCode = 'RevisionNotFound';
    const said = await bothErrors();
    expect(said.cli).toBe(
      `${MODEL}: cannot download ${FILE}: HTTP 404 Not Found: the revision is not on the Hub (${PAGE}; a private repo looks the same without a token). ${byHandCli}`,
    );
    expect(said.web).toBe(said.cli.replace(byHandCli, byHandInWebWords(MODEL)));
  }, 30_000);

  it('HF_HUB_OFFLINE set: whoever runs the server turns it off (before: "Unset HF_HUB_OFFLINE" and a server path)', async () => {
    const { web, cli } = await bothErrors({ HF_HUB_OFFLINE: '1' });
    const head = `${MODEL}: not on disk, and Hugging Face offline mode is on (HF_HUB_OFFLINE=1): nothing was downloaded.`;
    expect(cli).toMatch(
      new RegExp(
        `^${head.replace(/[().]/g, '\\$&')} Unset HF_HUB_OFFLINE to download\\. Place model\\.onnx, selected_tags\\.csv by hand in `,
      ),
    );
    expect(web).toBe(
      `${head} Whoever runs the server can turn HF_HUB_OFFLINE off there to download. ${byHandInWebWords(MODEL)}`,
    );
    expect(hub.requests).toEqual([]);
  }, 30_000);
});

import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../../../errors.js';
import { downloadError, httpReason } from '../../../models/download-http.js';
import { listHubRepo } from '../../../models/hub-listing.js';
import { byHandHint, checkCanDownload } from '../../../models/pull-guards.js';
import { getModelEntry } from '../../../models/registry.js';
import {
  byHandInWebWords,
  diskStateOf,
  pullErrorOf,
  rateOf,
  samplesAfter,
  stoppedText,
} from './pull-state.js';

describe('diskStateOf', () => {
  it('is complete, partial (some files, or a wrong-sized one) or missing', () => {
    expect(diskStateOf({ present: true }, 2)).toBe('complete');
    expect(diskStateOf({ present: false }, 1)).toBe('partial');
    expect(diskStateOf({ present: false, broken: '/m/model.onnx: size' }, 0)).toBe('partial');
    expect(diskStateOf({ present: false }, 0)).toBe('missing');
  });
});

describe('the download rate', () => {
  it('is measured over the last 5 s, and starts over when a file restarts', () => {
    let samples = samplesAfter([], { atMs: 0, bytes: 0 });
    expect(rateOf(samples)).toBeNull();
    samples = samplesAfter(samples, { atMs: 1000, bytes: 10_000_000 });
    expect(rateOf(samples)).toBe(10_000_000);
    // a stall of 6 s: the window keeps one sample before it, so the rate falls
    samples = samplesAfter(samples, { atMs: 7000, bytes: 10_000_000 });
    expect(samples).toEqual([
      { atMs: 1000, bytes: 10_000_000 },
      { atMs: 7000, bytes: 10_000_000 },
    ]);
    expect(rateOf(samples)).toBe(0);
    // a resumed .part's first report is its size: it is the start, not bytes that arrived
    expect(rateOf(samplesAfter(samples, { atMs: 7500, bytes: 5 }))).toBeNull();
  });
});

describe('what a pull ends with', () => {
  it('keeps a coded error as it is and hides any other', () => {
    const coded = new ToonloraError('TL_ERR_CHECKSUM', 'lama: x is corrupted');
    expect(pullErrorOf(coded)).toEqual({ code: 'TL_ERR_CHECKSUM', message: 'lama: x is corrupted' });
    expect(pullErrorOf(new Error('EBADF at /secret/path'))).toEqual({
      code: 'TL_ERR_INTERNAL',
      message: 'internal server error; see the server log.',
    });
  });

  it('names the kept .part file as the CLI does, or says none was kept', () => {
    expect(stoppedText('lama', 'cancelled', { path: '/c/lama.part', bytes: 5, size: '5 B' })).toBe(
      'cancelled; lama: the partial file /c/lama.part (5 B) is kept and the next pull resumes it',
    );
    expect(stoppedText('lama', 'server shutting down', undefined)).toBe(
      'server shutting down; lama: nothing partial was kept',
    );
  });
});

describe("a failed pull's by-hand steps on the web", () => {
  const home = { toonloraHome: '/srv/toonlora-home', env: { HF_HOME: '/srv/hf' } };
  const offlineEnv = { HF_HUB_OFFLINE: '1' };
  const roots = { toonloraHome: '/srv/toonlora-home', hfHubCache: '/srv/hf/hub' };
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: unknown) => error as ToonloraError,
    );

  it('words the offline `hf download` command of a snapshot for the web (before: the command and a server path)', async () => {
    const hint = byHandHint(getModelEntry('anything-v5'), home);
    expect(hint).toContain('hf download');
    const error = await refusal(checkCanDownload('anything-v5', true, roots, offlineEnv, hint));
    // the CLI's words, byte for byte as before the steps were data
    expect(error.message).toBe(
      'anything-v5: not on disk, and Hugging Face offline mode is on (HF_HUB_OFFLINE=1): nothing was downloaded. ' +
        `Unset HF_HUB_OFFLINE to download. ${hint}`,
    );
    const shown = pullErrorOf(error, 'anything-v5');
    expect(shown).toEqual({
      code: 'TL_ERR_DOWNLOAD',
      message:
        'anything-v5: not on disk, and Hugging Face offline mode is on (HF_HUB_OFFLINE=1): nothing was downloaded. ' +
        `Whoever runs the server can turn HF_HUB_OFFLINE off there to download. ${byHandInWebWords('anything-v5')}`,
    });
    expect(shown.message).not.toMatch(/hf download|\/srv\/|`|Unset/);
  });

  it("words a single file's placement for the web, and leaves other download errors as they are", () => {
    const options = { modelId: 'lama', url: 'https://x/lama.onnx', manualPath: '/srv/models/lama/lama.onnx' };
    const cli = {
      true: 'Without network, download that URL on another machine and place the file at /srv/models/lama/lama.onnx',
      false: 'Or place the file at /srv/models/lama/lama.onnx by hand',
    };
    for (const network of [true, false]) {
      const error = downloadError(options as never, 'HTTP 500', undefined, network);
      expect(error.message).toBe(`lama: cannot download https://x/lama.onnx: HTTP 500. ${cli[`${network}`]}`);
      expect(pullErrorOf(error, 'lama').message).toBe(
        `lama: cannot download https://x/lama.onnx: HTTP 500. ${byHandInWebWords('lama')}`,
      );
    }
    const plain = new ToonloraError('TL_ERR_DOWNLOAD', 'x: HTTP 500');
    expect(pullErrorOf(plain, 'x').message).toBe('x: HTTP 500');
  });

  it('words a refused token and a mirror to check for the web, the CLI keeping its words', () => {
    const options = {
      modelId: 'lama',
      url: 'https://hub/o/r/resolve/main/a.onnx',
      manualPath: '/srv/models/lama/a.onnx',
    };
    const hub = { repo: 'o/r', page: 'https://hub/o/r' };
    const gated = httpReason(403, 'Forbidden', new Headers({ 'x-error-code': 'GatedRepo' }), hub);
    const error = downloadError(options as never, gated, undefined, false);
    expect(error.message).toBe(
      'lama: cannot download https://hub/o/r/resolve/main/a.onnx: HTTP 403 Forbidden: o/r is gated or private, or the ' +
        'token was refused. Accept its terms on https://hub/o/r (logged in), then set HF_TOKEN to a token of that ' +
        'account or run `hf auth login`. Or place the file at /srv/models/lama/a.onnx by hand',
    );
    expect(pullErrorOf(error, 'lama').message).toBe(
      'lama: cannot download https://hub/o/r/resolve/main/a.onnx: HTTP 403 Forbidden: o/r is gated or private, or the ' +
        'token was refused. Accept its terms on https://hub/o/r (logged in), then whoever runs the server can give ' +
        `it a token of that account (HF_TOKEN, or "hf auth login" on the server). ${byHandInWebWords('lama')}`,
    );
    const missing = httpReason(404, 'Not Found', new Headers(), hub);
    expect(missing).toBe(
      'HTTP 404 Not Found: the file or revision is not on the Hub (https://hub/o/r; check HF_ENDPOINT if it is a mirror)',
    );
    expect(pullErrorOf(downloadError(options as never, missing, undefined, false), 'lama').message).toContain(
      '(https://hub/o/r; whoever runs the server can check its HF_ENDPOINT if that is a mirror).',
    );
  });

  it("words a refused snapshot listing's folder to copy into for the web (before: the server path, as the CLI says it)", async () => {
    const target = {
      id: 'anything-v5',
      repo: 'o/r',
      revision: 'main',
      hint: 'unused',
      byHand: "Or copy the repo's files into /srv/models/anything-v5 by hand",
      manualPath: '/srv/models/anything-v5',
    };
    const fetchImpl = (async () => new Response(null, { status: 403 })) as typeof fetch;
    const env = { HF_ENDPOINT: 'https://hub' };
    const error = await refusal(listHubRepo(target, { env, fetchImpl, homeDir: '/srv' }));
    const head =
      'anything-v5: cannot list https://hub/api/models/o/r/revision/main: HTTP 403: o/r is gated or private, or the ' +
      'token was refused. Accept its terms on https://hub/o/r (logged in), then';
    expect(error.message).toBe(
      `${head} set HF_TOKEN to a token of that account or run \`hf auth login\`. ${target.byHand}`,
    );
    expect(pullErrorOf(error, 'anything-v5').message).toBe(
      `${head} whoever runs the server can give it a token of that account (HF_TOKEN, or "hf auth login" on the server). ${byHandInWebWords('anything-v5')}`,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../../../errors.js';
import { downloadError } from '../../../models/download-http.js';
import { byHandHint } from '../../../models/pull-guards.js';
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
  it('words the `hf download` command of a snapshot for the web (before: the command and a server path)', () => {
    const hint = byHandHint(getModelEntry('anything-v5'), home);
    expect(hint).toContain('hf download');
    const url = 'https://huggingface.co/api/models/stablediffusionapi/anything-v5/revision/main';
    const error = new ToonloraError(
      'TL_ERR_DOWNLOAD',
      `anything-v5: cannot list ${url}: getaddrinfo ENOTFOUND huggingface.co (no network?). ${hint}`,
    );
    const shown = pullErrorOf(error, 'anything-v5');
    expect(shown).toEqual({
      code: 'TL_ERR_DOWNLOAD',
      message: `anything-v5: cannot list ${url}: getaddrinfo ENOTFOUND huggingface.co (no network?). ${byHandInWebWords('anything-v5')}`,
    });
    expect(shown.message).not.toMatch(/hf download|\/srv\/|`/);
  });

  it("words a single file's placement for the web, and leaves other download errors as they are", () => {
    const options = { modelId: 'lama', url: 'https://x/lama.onnx', manualPath: '/srv/models/lama/lama.onnx' };
    for (const network of [true, false]) {
      const shown = pullErrorOf(downloadError(options as never, 'HTTP 500', undefined, network), 'lama');
      expect(shown.message).toBe(
        `lama: cannot download https://x/lama.onnx: HTTP 500. ${byHandInWebWords('lama')}`,
      );
    }
    const placed = new ToonloraError(
      'TL_ERR_DOWNLOAD',
      `lama: cannot list x: offline. ${byHandHint(getModelEntry('lama'), home)}`,
    );
    expect(pullErrorOf(placed, 'lama').message).toBe(
      `lama: cannot list x: offline. ${byHandInWebWords('lama')}`,
    );
    const plain = new ToonloraError('TL_ERR_DOWNLOAD', 'x: HTTP 500');
    expect(pullErrorOf(plain, 'x').message).toBe('x: HTTP 500');
  });
});

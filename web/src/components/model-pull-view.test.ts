import { describe, expect, it } from 'vitest';
import type { ModelPull } from '../../../src/schemas/models-api.js';
import {
  cardShowsPullEnd,
  diskStateText,
  hubPullOutcome,
  isPullActive,
  pullButtonLabel,
  pullEndView,
  pullProgressView,
} from './model-pull-view.js';

const RUNNING: ModelPull = {
  model: 'lama',
  status: 'running',
  seq: 4,
  startedAt: '2026-12-06T20:00:00.000Z',
  endedAt: null,
  file: 'lama_fp32.onnx',
  fileReceivedBytes: 52_011_204,
  fileTotalBytes: 208_044_816,
  filesDone: 0,
  doneBytes: 0,
  modelBytes: 208_044_816,
  bytesPerS: 12_400_000,
  message: null,
  error: null,
};

describe('a pull under way', () => {
  it('shows the file, its bytes of its size and the rate, the bar at the file’s fraction', () => {
    const view = pullProgressView(RUNNING);
    expect(view.fileText).toBe('lama_fp32.onnx: 52.0 MB of 208 MB at 12.4 MB/s');
    expect(view.fraction).toBeCloseTo(0.25, 3);
    expect(view.totalText).toBe('0 files done (0 B); about 208 MB in all');
  });

  it("says no model size for a Hub repo's pull (the registry has none; the listing is the pull's)", () => {
    expect(pullProgressView({ ...RUNNING, modelBytes: null }).totalText).toBe('0 files done (0 B)');
  });

  it('has an indeterminate bar while the size is unknown, and says what it does between files', () => {
    expect(pullProgressView({ ...RUNNING, fileTotalBytes: null, bytesPerS: null })).toMatchObject({
      fraction: null,
      fileText: 'lama_fp32.onnx: 52.0 MB',
    });
    const between = { ...RUNNING, file: null, message: 'checking /c/lama_fp32.onnx (208 MB)…' };
    expect(pullProgressView(between).fileText).toBe('checking /c/lama_fp32.onnx (208 MB)…');
    expect(pullProgressView({ ...RUNNING, status: 'stopping' }).fileText).toBe('Stopping…');
    expect(isPullActive({ status: 'stopping' })).toBe(true);
    expect(isPullActive({ status: 'cancelled' })).toBe(false);
  });
});

describe('a pull that ended', () => {
  it('shows an error in its words without the code (before: "… [TL_ERR_CHECKSUM]"), and a stop with its kept file', () => {
    const failed = {
      ...RUNNING,
      status: 'failed' as const,
      error: { code: 'TL_ERR_CHECKSUM', message: 'lama: https://x/lama_fp32.onnx is corrupted (sha256: …)' },
    };
    expect(pullEndView(failed)).toEqual({
      text: 'lama: https://x/lama_fp32.onnx is corrupted (sha256: …)',
      warn: true,
    });
    const kept =
      'cancelled; lama: the partial file /c/lama_fp32.onnx.part (52.0 MB) is kept and the next pull resumes it';
    expect(pullEndView({ ...RUNNING, status: 'cancelled', message: kept })).toEqual({
      text: kept,
      warn: false,
    });
    expect(pullEndView({ ...RUNNING, status: 'succeeded', filesDone: 1, doneBytes: 208_044_816 }).text).toBe(
      'Pulled: 1 file downloaded; 208 MB in all.',
    );
    // a resumed pull downloads 2 files of a 65.8 kB repo: it read "2 files downloaded (65.8 kB)", as if they were all
    expect(pullEndView({ ...RUNNING, status: 'succeeded', filesDone: 2, doneBytes: 65_800 }).text).toBe(
      'Pulled: 2 files downloaded; 65.8 kB in all.',
    );
  });
});

describe('disk states', () => {
  it('names a broken file, and what a partial download has on disk', () => {
    expect(diskStateText({ state: 'partial', broken: '/m/u2net.onnx: size 3 B' })).toBe(
      'partial (broken: /m/u2net.onnx: size 3 B)',
    );
    expect(diskStateText({ state: 'missing' })).toBe('missing');
    // a stopped pull's files and `.part` files on disk: the next Pull resumes from them
    expect(diskStateText({ state: 'partial', downloadedBytes: 131_072, partBytes: 131_072 })).toBe(
      'partial — 131 kB downloaded, Resume pull continues it',
    );
    expect(diskStateText({ state: 'complete', downloadedBytes: 0, partBytes: 0 })).toBe('complete');
  });
});

describe('the pull button of a row', () => {
  const partial = { state: 'partial' as const, downloadedBytes: 65_536 };
  it('offers Resume on a partial row (a Hub-id base a CLI pull left half-way too), nothing on a complete one', () => {
    expect(pullButtonLabel(partial, null)).toBe('Resume pull');
    expect(pullButtonLabel({ state: 'complete', downloadedBytes: 0 }, null)).toBeNull();
    expect(pullButtonLabel({ state: 'complete', downloadedBytes: 0 }, { status: 'succeeded' })).toBeNull();
  });
  it('offers Pull on a missing or failed one, Resume after a cancel, and nothing while a pull runs', () => {
    const missing = { state: 'missing' as const, downloadedBytes: 0 };
    expect(pullButtonLabel(missing, null)).toBe('Pull');
    expect(pullButtonLabel(missing, { status: 'failed' })).toBe('Pull');
    expect(pullButtonLabel(missing, { status: 'cancelled' })).toBe('Resume pull');
    expect(pullButtonLabel(partial, { status: 'running' })).toBeNull();
    expect(pullButtonLabel(partial, { status: 'stopping' })).toBeNull();
  });
});

describe('a Hub repo pulled only at a tag (GET /api/models: state missing, revisions without main)', () => {
  const onlyV2 = {
    state: 'missing' as const,
    downloadedBytes: 0,
    origin: 'hub' as const,
    revisions: ['v2'],
  };
  it('is "at v2 only" with a "Pull main" button (before: "missing" and "Pull", which pulls main)', () => {
    expect(diskStateText(onlyV2)).toBe('at v2 only');
    expect(diskStateText({ ...onlyV2, revisions: ['v1.0', 'v2'] })).toBe('at v1.0, v2 only');
    expect(pullButtonLabel(onlyV2, null)).toBe('Pull main');
    expect(pullButtonLabel(onlyV2, { status: 'failed' })).toBe('Pull main');
    expect(pullButtonLabel(onlyV2, { status: 'cancelled' })).toBe('Resume pull');
    expect(pullButtonLabel(onlyV2, { status: 'running' })).toBeNull();
  });
  it('leaves a repo with main pulled, and a registry model, as they were', () => {
    const both = { ...onlyV2, state: 'complete' as const, revisions: ['main', 'v2'] };
    expect(diskStateText(both)).toBe('complete');
    expect(pullButtonLabel(both, null)).toBeNull();
    const registry = { state: 'missing' as const, downloadedBytes: 0, origin: 'registry' as const };
    expect(diskStateText(registry)).toBe('missing');
    expect(pullButtonLabel(registry, null)).toBe('Pull');
  });
});

describe('a pull of a revision the Hub lacks', () => {
  const failed: ModelPull = {
    ...RUNNING,
    model: 'someone/toon-sd15',
    status: 'failed',
    error: {
      code: 'TL_ERR_DOWNLOAD',
      message:
        'someone/toon-sd15: cannot list http://127.0.0.1:9/api/models/someone/toon-sd15/revision/v9.9?blobs=true: HTTP 404 Not Found: revision v9.9 of someone/toon-sd15 is not on the Hub (http://127.0.0.1:9/someone/toon-sd15; check HF_ENDPOINT if it is a mirror). Nothing was downloaded',
    },
  };

  it('is said by the form in those words alone (no URL, HF_ENDPOINT hint or code), not on the main card', () => {
    const words = 'revision v9.9 of someone/toon-sd15 is not on the Hub. Nothing was downloaded.';
    expect(pullEndView(failed)).toEqual({ text: words, warn: true });
    expect(hubPullOutcome('someone/toon-sd15', failed, null).text).toBe(words);
    expect(cardShowsPullEnd(failed)).toBe(false);
  });

  it('leaves any other failure as the CLI says it, on the card', () => {
    const other = { ...failed, error: { code: 'TL_ERR_DOWNLOAD', message: 'x: HTTP 500' } };
    expect(pullEndView(other).text).toBe('x: HTTP 500');
    expect(cardShowsPullEnd(other)).toBe(true);
  });
});

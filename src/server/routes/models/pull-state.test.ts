import { describe, expect, it } from 'vitest';
import { ToonloraError } from '../../../errors.js';
import { diskStateOf, pullErrorOf, rateOf, samplesAfter, stoppedText } from './pull-state.js';

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

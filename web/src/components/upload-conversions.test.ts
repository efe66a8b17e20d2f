import { describe, expect, it } from 'vitest';
import { conversionNotes, conversionsLeftAfterRemove } from './upload-conversions.js';
import { uploadSummary } from './upload-rejections.js';

const scan = {
  name: 'scan.tif',
  id: 'img-1',
  note: 'scan.tif: a TIFF image, converted to PNG and stored as scan.png; a multi-page TIFF: only page 1 of 3 was read',
};
const cover = {
  name: 'cover.tiff',
  id: 'img-2',
  note: 'cover.tiff: a TIFF image, converted to PNG and stored as cover.png',
};
const none = { uploaded: [], rejected: [], duplicates: [] };

describe('conversionNotes', () => {
  it("lists each note of an upload's converted files, in order", () => {
    expect(conversionNotes({ ...none, converted: [scan, cover] })).toEqual([scan, cover]);
  });
  it('is empty for an answer with no `converted` (nothing converted, or an older server)', () => {
    expect(conversionNotes(none)).toEqual([]);
  });
  it('shows a control character of the file name as an escape', () => {
    const odd = {
      ...scan,
      note: 'a\u202Egpj.tif: a TIFF image, converted to PNG and stored as a\u202Egpj.png',
    };
    expect(conversionNotes({ ...none, converted: [odd] })[0]?.note).toBe(
      'a\\u202Egpj.tif: a TIFF image, converted to PNG and stored as a\\u202Egpj.png',
    );
  });
});

describe('conversionsLeftAfterRemove', () => {
  it("drops the removed screenshot's note (it named a file no longer there), keeps the others", () => {
    expect(conversionsLeftAfterRemove([scan, cover], 'img-1')).toEqual([cover]);
    expect(conversionsLeftAfterRemove([scan, cover], 'img-9')).toEqual([scan, cover]);
  });
});

describe('uploadSummary with converted files', () => {
  it('says how many were converted, noted below, for a screen reader too', () => {
    expect(uploadSummary(2, 0, [], 1)).toBe('Uploaded 2 screenshots; 1 converted (noted below).');
    expect(uploadSummary(3, 1, [], 2)).toBe(
      'Uploaded 3 screenshots; 2 converted (noted below); 1 refused (listed below).',
    );
  });
});

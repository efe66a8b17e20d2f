// src/cli/commands/models-table.test.ts — a table fitted to a terminal's width: the last column wrapped beside the
// others, or put under each row; words (paths, ids) never cut. (The whole `models list`: models-list-width.test.ts.)
import { describe, expect, it } from 'vitest';
import { fitNotes, fitTable, outputColumns, wrapWords } from './models-table.js';

const HEADER = ['present', 'id', 'path'];
const PATH = '/home/someone/.cache/toonlora/models/anime-person-detector/person_detect_v1.3_s/model.onnx';

describe('wrapWords', () => {
  it('breaks at spaces within the width, and leaves a longer word whole on its own line', () => {
    expect(wrapWords('missing: prep --segmenter u2net fails', 16)).toEqual([
      'missing: prep',
      '--segmenter',
      'u2net fails',
    ]);
    expect(wrapWords(`at ${PATH} now`, 20)).toEqual(['at', PATH, 'now']);
    expect(wrapWords('one two three', 7, 20)).toEqual(['one two', 'three']);
  });
});

describe('fitTable', () => {
  it('wraps the last column beside the others when it has 40 characters of room; a path too long under the row', () => {
    const rows = [
      ['no', 'u2net', 'missing: prep --segmenter u2net fails (auto uses isnet-anime or classic)'],
      ['yes', 'anime-person-detector', PATH],
    ];
    expect(fitTable(HEADER, rows, 72)).toEqual([
      'present  id                     path',
      'no       u2net                  missing: prep --segmenter u2net fails',
      '                                (auto uses isnet-anime or classic)',
      'yes      anime-person-detector',
      `    ${PATH}`,
    ]);
  });

  it('puts the columns that do not fit under each row, the header laid out the same way', () => {
    const header = ['present', 'id', 'size', 'path'];
    const rows = [['no', 'wd-vit-tagger-v3', '379 MB', 'missing: prep --captioner wd14 fails']];
    expect(fitTable(header, rows, 40)).toEqual([
      'present  id                size',
      '    path',
      'no       wd-vit-tagger-v3  379 MB',
      '    missing: prep --captioner wd14 fails',
    ]);
    // narrower still: the size goes under too; the id stays whole on the row even past the width
    expect(fitTable(header, rows, 20)).toEqual([
      'present  id',
      '    size',
      '    path',
      'no       wd-vit-tagger-v3',
      '    379 MB',
      '    missing: prep',
      '    --captioner wd14',
      '    fails',
    ]);
  });
});

describe('fitNotes', () => {
  it('wraps each note, its continuation lines indented by two', () => {
    expect(fitNotes(['* lama license: Apache-2.0 (weights), MIT (code)'], 30)).toEqual([
      '* lama license: Apache-2.0',
      '  (weights), MIT (code)',
    ]);
  });
});

describe('outputColumns', () => {
  it("is a terminal's columns, 100 off a terminal or when it does not say", () => {
    expect(outputColumns({ isTTY: true, columns: 80 })).toBe(80);
    expect(outputColumns({ isTTY: false, columns: 80 })).toBe(100);
    expect(outputColumns({ isTTY: true, columns: 0 })).toBe(100);
    expect(outputColumns({})).toBe(100);
  });
});

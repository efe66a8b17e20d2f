// web/src/components/page-links.test.ts — a job's failure text links the Models page it names.
import { describe, expect, it } from 'vitest';
import { linkPageNames } from './page-links.js';

describe('linkPageNames', () => {
  it('links each "Models page" of a failure text to #/models', () => {
    expect(linkPageNames('isnet-anime is not downloaded on the server: pull it on the Models page.')).toEqual(
      [
        { text: 'isnet-anime is not downloaded on the server: pull it on the ' },
        { text: 'Models page', href: '#/models' },
        { text: '.' },
      ],
    );
    expect(linkPageNames('Models page, Models page')).toEqual([
      { text: 'Models page', href: '#/models' },
      { text: ', ' },
      { text: 'Models page', href: '#/models' },
    ]);
  });
  it('leaves a text that names no page as one run', () => {
    expect(linkPageNames("pull it on the worker's machine")).toEqual([
      { text: "pull it on the worker's machine" },
    ]);
    expect(linkPageNames('')).toEqual([]);
  });
});

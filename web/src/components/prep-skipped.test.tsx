// web/src/components/prep-skipped.test.tsx — what a finished prep skipped, on the Upload page: grouped by why in
// words (not "No character was found" when characters were found but too small) and a link to the Dataset page.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { characterTooSmallReason } from '../../../src/prep/crop-box.js';
import { PrepSkippedView } from './prep-skipped.js';
import { emptyVersionAdvice, type SkippedEntry, skippedLines } from './prep-skipped-words.js';

const small = (w: number, h: number) =>
  characterTooSmallReason({ x: 0, y: 0, width: w, height: h }, 512) ?? '';
// as the probe's manga pages were skipped: every panel's character under 128 px
const pages: SkippedEntry[] = ['page.png', 'page-q70.jpg', 'page-title.png', 'spread.png'].map((source) => ({
  source,
  status: 'skipped',
  reason: `panel 1: ${small(17, 45)}; panel 3: ${small(15, 42)}`,
}));
const duplicates: SkippedEntry[] = [3, 4, 6, 8].map((panel) => ({
  source: `page.png, panel ${panel}`,
  status: 'rejected crop',
  reason: 'near-duplicate of page.png, panel 1 (mean colour difference 0.9/255)',
}));

describe('what a prep skipped, on the Upload page', () => {
  it('says the characters found were too small, grouped, with the names (before: "No character was found")', () => {
    expect(skippedLines(pages)).toEqual([
      '4 screenshots skipped: the characters found were too small (page.png, page-q70.jpg and 2 more).',
    ]);
    expect(skippedLines(duplicates)).toEqual([
      '4 crops left out: near-duplicates of crops already kept (page.png, panel 3; page.png, panel 4 and 2 more).',
    ]);
    const none = {
      source: 'sky.png',
      status: 'skipped',
      reason: 'sky.png: no character found (the mask is empty)',
    };
    expect(skippedLines([none, ...pages.slice(0, 1)])).toEqual([
      '1 screenshot skipped: no character was found (sky.png).',
      '1 screenshot skipped: the characters found were too small (page.png).',
    ]);
    expect(emptyVersionAdvice(pages)).toBe(
      'Use larger screenshots, or ones where the character fills more of the picture or panel.',
    );
    expect(emptyVersionAdvice([none])).toBe('Try other screenshots or another character cut-out.');
  });

  it("an empty version says why and links the Dataset page's skipped list (before: no link, no reasons)", () => {
    const html = renderToStaticMarkup(<PrepSkippedView characterId="c1" itemCount={0} skipped={pages} />);
    expect(html).not.toContain('No character was found');
    expect(html).toContain('No crop was kept, so the new dataset version is empty and cannot be trained.');
    expect(html).toContain('4 screenshots skipped: the characters found were too small');
    expect(html).toContain('href="#/c/c1/dataset"');
  });

  it('a version with crops links the skipped list whenever anything was skipped, and says nothing otherwise', () => {
    const html = renderToStaticMarkup(
      <PrepSkippedView characterId="c1" itemCount={5} skipped={duplicates} />,
    );
    expect(html).toContain('4 crops left out');
    expect(html).toContain('href="#/c/c1/dataset"');
    expect(html).not.toContain('empty');
    expect(renderToStaticMarkup(<PrepSkippedView characterId="c1" itemCount={5} skipped={[]} />)).toBe('');
  });
});

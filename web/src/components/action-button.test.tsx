// web/src/components/action-button.test.tsx — ActionButton's markup (a button waiting for its request stays
// focusable: aria-disabled, not disabled) and the pure rules of where the focus goes.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ActionButton, nativelyDisabled, nextInList } from './action-button.js';

describe('ActionButton', () => {
  it('busy: aria-disabled and aria-busy, never disabled (a disabled button drops the focus to the page)', () => {
    const html = renderToStaticMarkup(<ActionButton busy>Exclude</ActionButton>);
    expect(html).toBe('<button type="button" aria-disabled="true" aria-busy="true">Exclude</button>');
  });

  it('off: disabled (out of the tab order) unless it holds the focus; idle: neither', () => {
    expect(renderToStaticMarkup(<ActionButton off>Save</ActionButton>)).toBe(
      '<button type="button" disabled="" aria-disabled="true">Save</button>',
    );
    expect(renderToStaticMarkup(<ActionButton type="submit">Start</ActionButton>)).toBe(
      '<button type="submit">Start</button>',
    );
    expect(nativelyDisabled(false, true, true)).toBe(false);
    expect(nativelyDisabled(true, true, false)).toBe(false);
    expect(nativelyDisabled(false, true, false)).toBe(true);
  });
});

describe('nextInList', () => {
  it("takes the element now at the removed one's index, else the last; null for an empty list", () => {
    expect(nextInList(['a', 'c'], 1)).toBe('c');
    expect(nextInList(['a', 'b'], 2)).toBe('b');
    expect(nextInList([], 0)).toBe(null);
  });
});

// test/web-theme-contrast.test.ts — the theme's accent reads at WCAG AA (4.5:1 for normal text) both ways: white
// text on an accent button or active nav tab, and accent text on a white (secondary) button or the page's --bg.
// Before, --accent #d9465f gave 4.21:1.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('../web/src/styles/base.css', import.meta.url), 'utf8');

/** The value of CSS variable `name` in base.css's :root (a #rgb or #rrggbb colour), as #rrggbb. */
function cssVar(name: string): string {
  const value = new RegExp(`${name}:\\s*#([0-9a-fA-F]{6}|[0-9a-fA-F]{3});`).exec(css)?.[1];
  if (!value) throw new Error(`${name} is not a #rgb or #rrggbb colour in base.css`);
  return `#${value.length === 3 ? [...value].map((c) => c + c).join('') : value}`;
}

/** WCAG 2 relative luminance of #rrggbb. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two #rrggbb colours. */
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('theme contrast', () => {
  it('computes the WCAG ratio (black on white is 21:1; the old accent on white 4.21:1)', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrast('#d9465f', '#ffffff')).toBeCloseTo(4.21, 2);
  });

  it('white on --accent, and --accent on white (--panel) and on --bg, are at least 4.5:1', () => {
    const accent = cssVar('--accent');
    expect(contrast(cssVar('--accent-ink'), accent)).toBeGreaterThanOrEqual(4.5);
    expect(contrast('#ffffff', accent)).toBeGreaterThanOrEqual(4.5); // the active nav tab's #fff
    expect(contrast(accent, cssVar('--panel'))).toBeGreaterThanOrEqual(4.5);
    expect(contrast(accent, cssVar('--bg'))).toBeGreaterThanOrEqual(4.5);
  });
});

// src/visible-text.test.ts — file names with terminal escapes, line breaks and bidi overrides shown as escapes.
import { describe, expect, it } from 'vitest';
import { visibleLines, visibleText } from './visible-text.js';

describe('visibleText', () => {
  it('escapes C0, DEL, C1 and bidi controls; leaves other text, accents and CJK alone', () => {
    expect(visibleText('evil\u001b[2J\u001b]0;pwned\u0007x.png')).toBe('evil\\e[2J\\e]0;pwned\\x07x.png');
    expect(visibleText('new\nline.png')).toBe('new\\nline.png');
    expect(visibleText('tab\tctl\r.jpg\u007f\u009b')).toBe('tab\\tctl\\r.jpg\\x7f\\x9b');
    expect(visibleText('photo\u202egnp.exe')).toBe('photo\\u202Egnp.exe');
    expect(visibleText('a\u2066b\u2069\u200f')).toBe('a\\u2066b\\u2069\\u200F');
    expect(visibleText('キャラ 画像 é.png')).toBe('キャラ 画像 é.png');
  });

  it('visibleLines keeps the text own line breaks', () => {
    expect(visibleLines('a\u001b.png: bad\nnext line')).toBe('a\\e.png: bad\nnext line');
  });
});

import { describe, expect, it } from 'vitest';
import { cropStem, datasetFolderName, safeStem, UniqueNames } from './output-names.js';

describe('safeStem', () => {
  it('keeps safe names and drops the extension', () => {
    expect(safeStem('panel-01.png')).toBe('panel-01');
    expect(safeStem('My Screenshot (2).jpg')).toBe('My_Screenshot_2');
    expect(safeStem('Café déjà vu.webp')).toBe('Café_déjà_vu');
    expect(safeStem('Cafe\u0301.png')).toBe('Caf\u00e9'); // NFC
    expect(safeStem('../../etc/passwd')).toBe('etc_passwd');
    expect(safeStem('a:b*?<c>|"d".png')).toBe('a_b_c_d');
  });
  it('keeps Korean, Japanese and Chinese names readable (they were hash-only names)', () => {
    expect(safeStem('第1話 ページ 3.png')).toBe('第1話_ページ_3');
    expect(safeStem('캐릭터 1화 (2).png')).toBe('캐릭터_1화_2');
    expect(safeStem('ep1 캐릭터들 장면.png')).toBe('ep1_캐릭터들_장면');
  });
  it('never starts with digits then _ (a kohya repeats look-alike), nor is a Windows device name', () => {
    expect(safeStem('1 3.png')).toBe('img-1_3');
    expect(safeStem('10_sks girl.png')).toBe('img-10_sks_girl');
    expect(safeStem('１２ 話.png')).toBe('img-１２_話');
    expect(safeStem('1화.png')).toBe('1화');
    expect(safeStem('CON.png')).toBe('img-CON');
  });
  it('names a name with nothing left by a stable hash', () => {
    const symbols = safeStem('★☆ !!.png');
    expect(symbols).toMatch(/^img-[0-9a-f]{8}$/);
    expect(safeStem('★☆ !!.png')).toBe(symbols);
    expect(safeStem('♪♪.png')).not.toBe(symbols);
  });
});

describe('UniqueNames', () => {
  it('never hands out the same name twice, case-insensitively', () => {
    const names = new UniqueNames();
    expect(names.take('a')).toBe('a');
    expect(names.take('A')).toBe('A-2');
    expect(names.take('a')).toBe('a-3');
    expect(names.take('a-2')).toBe('a-2-2');
  });
  it('builds the kohya folder name', () => {
    expect(datasetFolderName(10, 'sks', 'girl')).toBe('10_sks girl');
  });
});

describe('cropStem', () => {
  it("numbers a file's crops from the second, and a strip's crops by their panel", () => {
    expect([1, 2, 3].map((n) => cropStem('page', n))).toEqual(['page', 'page-2', 'page-3']);
    expect(cropStem('strip', 1, { index: 3, count: 9 })).toBe('strip-p03');
    expect(cropStem('strip', 2, { index: 3, count: 9 })).toBe('strip-p03-2');
    expect(cropStem('strip', 1, { index: 7, count: 120 })).toBe('strip-p007');
  });
});

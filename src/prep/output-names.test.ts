import { describe, expect, it } from 'vitest';
import { datasetFolderName, safeStem, UniqueNames } from './output-names.js';

describe('safeStem', () => {
  it('keeps safe ASCII names and drops the extension', () => {
    expect(safeStem('panel-01.png')).toBe('panel-01');
    expect(safeStem('My Screenshot (2).jpg')).toBe('My_Screenshot_2');
    expect(safeStem('Café déjà vu.webp')).toBe('Cafe_deja_vu');
    expect(safeStem('../../etc/passwd')).toBe('etc_passwd');
  });
  it('names non-ASCII names by a stable hash', () => {
    const korean = safeStem('캐릭터 컷.png');
    expect(korean).toMatch(/^img-[0-9a-f]{8}$/);
    expect(safeStem('캐릭터 컷.png')).toBe(korean);
    expect(safeStem('다른 컷.png')).not.toBe(korean);
    expect(safeStem('ep1 캐릭터들 장면.png')).toMatch(/^ep1-[0-9a-f]{8}$/);
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

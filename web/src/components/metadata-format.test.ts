import { describe, expect, it } from 'vitest';
import { formatMetaValue } from './metadata-format.js';

describe('formatMetaValue', () => {
  it('gives sizes a unit and rounds numbers to 4 significant digits', () => {
    // decimal units, as `toonlora inspect` and the Hub show the file (before: binary units labelled "MB", 144 MB)
    expect(formatMetaValue('sizeBytes', 151_000_000)).toBe('151 MB');
    expect(formatMetaValue('sizeBytes', 55_120)).toBe('55.1 kB');
    expect(formatMetaValue('sizeBytes', 512)).toBe('512 B');
    expect(formatMetaValue('lastLoss', 1.2540031671524048)).toBe('1.254');
    expect(formatMetaValue('rank', 32)).toBe('32');
  });

  it('shows lists and objects (also JSON in a string) as short lists, and nothing when empty', () => {
    expect(formatMetaValue('warnings', [])).toBeNull();
    expect(formatMetaValue('extra', {})).toBeNull();
    expect(formatMetaValue('ss_tag_frequency', '{"sks girl": {"sks": 5, "red scarf": 2}}')).toBe(
      'sks girl: sks: 5; red scarf: 2',
    );
    expect(formatMetaValue('modules', ['a', 'b'])).toBe('a, b');
    const many = Array.from({ length: 10 }, (_, i) => `m${i}`);
    expect(formatMetaValue('modules', many)).toBe('m0, m1, m2, m3, m4, m5, m6, m7, … (2 more)');
    expect(formatMetaValue('ss_note', '')).toBeNull();
    expect(formatMetaValue('ss_note', '[not json')).toBe('[not json');
  });
});

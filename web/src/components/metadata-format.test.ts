import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/schemas/api.js';
import {
  afterDatasetsRead,
  datasetsToRead,
  datasetVersionText,
  formatMetaValue,
  type KnownDatasets,
  withDatasetNamed,
} from './metadata-format.js';

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

/** A dataset version of character c1 with `itemCount` images, none excluded. */
function version(id: string, itemCount: number): Dataset {
  return {
    id,
    characterId: 'c1',
    jobId: `p-${id}`,
    createdAt: `2026-12-07T10:0${itemCount}:00.000Z`,
    itemCount,
    excludedCount: 0,
    editedCount: 0,
  };
}
const time = (iso: string) => iso.slice(11, 16);

describe("a trained LoRA's dataset version", () => {
  const meta = { rank: 8, datasetId: 'd2', lastLoss: 0.5 };

  it("is named as the Train page names it, in the datasetId row's place", () => {
    const known = afterDatasetsRead(null, 'c1', [version('d1', 4), version('d2', 5)], ['d2']);
    // before: the row read "datasetId: d2", an id the user could not look up anywhere on the page
    expect(withDatasetNamed(meta, known, 'c1', time)).toEqual({
      rank: 8,
      dataset: 'v2 · 5 images · 10:05 · newest',
      lastLoss: 0.5,
    });
    expect(Object.keys(withDatasetNamed(meta, known, 'c1', time))).toEqual(['rank', 'dataset', 'lastLoss']);
  });

  it('is said deleted when a read begun after the LoRA was listed does not hold it', () => {
    // the LoRAs listed name d1, d2 (twice) and d4: one read answers for all of them
    const known = afterDatasetsRead(null, 'c1', [version('d1', 4)], ['d2', 'd1', 'd2', 'd4']);
    expect(withDatasetNamed(meta, known, 'c1', time).dataset).toBe('dataset version d2 (deleted)');
    expect(known.deleted).toEqual(['d2', 'd4']);
    expect(datasetsToRead(known, 'c1', 'd4')).toBe(false);
    // a later read for a LoRA trained since keeps knowing them deleted: selecting one again reads nothing
    const later = afterDatasetsRead(known, 'c1', [version('d1', 4), version('d3', 2)], ['d2', 'd3']);
    expect(later.deleted).toEqual(['d2', 'd4']);
    expect(datasetVersionText(later, 'c1', 'd2', time)).toBe('dataset version d2 (deleted)');
    expect(datasetsToRead(later, 'c1', 'd2')).toBe(false);
  });

  it('shows the id until the versions are read, and asks for a read only for a version not known', () => {
    expect(withDatasetNamed(meta, null, 'c1', time).dataset).toBe('d2');
    expect(datasetsToRead(null, 'c1', 'd2')).toBe(true);
    expect(datasetsToRead(null, 'c1', null)).toBe(false); // an uploaded LoRA names no version
    const known: KnownDatasets = afterDatasetsRead(null, 'c1', [version('d1', 4)], ['d1']);
    expect(datasetsToRead(known, 'c1', 'd1')).toBe(false);
    // trained after that read: its version is new, not deleted
    expect(datasetsToRead(known, 'c1', 'd2')).toBe(true);
    expect(datasetVersionText(known, 'c1', 'd2', time)).toBe('d2');
    // another character's versions say nothing of this one's
    expect(datasetsToRead(known, 'c2', 'd1')).toBe(true);
    expect(datasetVersionText(known, 'c2', 'd1', time)).toBe('d1');
  });

  it('leaves metadata naming no version as it is', () => {
    const uploaded = { uploaded: true };
    expect(withDatasetNamed(uploaded, null, 'c1', time)).toBe(uploaded);
  });
});

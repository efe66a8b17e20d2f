import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/schemas/api.js';
import {
  datasetVersionLabel,
  newestDatasetId,
  rebuildWarning,
  trainBlockReason,
} from './dataset-versions.js';

const version = (id: string, over: Partial<Dataset> = {}): Dataset => ({
  id,
  characterId: 'c',
  jobId: 'j',
  createdAt: `2025-01-0${id.slice(1)}T10:41:00.000Z`,
  itemCount: 5,
  excludedCount: 0,
  editedCount: 0,
  ...over,
});

describe('dataset versions', () => {
  it('picks the newest version and labels each with number, included images and time', () => {
    const list = [version('d1', { excludedCount: 1 }), version('d2')];
    expect(newestDatasetId(list)).toBe('d2');
    expect(newestDatasetId([])).toBe('');
    const time = (iso: string) => iso.slice(8, 10);
    expect(datasetVersionLabel(list, 0, time)).toBe('v1 · 4 images · 01');
    expect(datasetVersionLabel(list, 1, time)).toBe('v2 · 5 images · 02 · newest');
  });

  it('refuses to train on a version with no included image, naming why', () => {
    expect(trainBlockReason(version('d1'))).toBeNull();
    expect(trainBlockReason(version('d1', { itemCount: 0 }))).toMatch(
      /no images: its prep found no character/,
    );
    expect(trainBlockReason(version('d1', { excludedCount: 5 }))).toMatch(/Every image .* is excluded/);
    expect(trainBlockReason(undefined)).toMatch(/Build a dataset first/);
  });

  it('warns before a rebuild only when the newest version was reviewed', () => {
    expect(rebuildWarning([])).toBeNull();
    expect(rebuildWarning([version('d1', { editedCount: 2 }), version('d2')])).toBeNull();
    expect(rebuildWarning([version('d1'), version('d2', { editedCount: 2, excludedCount: 1 })])).toBe(
      'Dataset v2 has 2 edited captions and 1 excluded image. The new version starts from fresh captions with every ' +
        'image included; v2 keeps its edits and stays selectable on the Train page. Build anyway?',
    );
  });
});

// web/src/components/dataset-delete.test.ts — the Dataset page's delete question names the version as its picker
// does and says what goes and stays; the page then shows the newest version left, or none.
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../../src/schemas/api.js';
import { deleteVersionQuestion, versionAfterDelete } from './dataset-delete.js';

const version = (id: string, itemCount: number): Dataset => ({
  id,
  characterId: 'c',
  jobId: `job-${id}`,
  createdAt: `2026-12-0${id}T10:00:00.000Z`,
  itemCount,
  excludedCount: 0,
  editedCount: 0,
});
const time = (iso: string) => iso.slice(0, 10);

describe('deleteVersionQuestion', () => {
  it('names the version by number, time and images, and says the later ones move up', () => {
    const list = [version('1', 1), version('2', 5)];
    expect(deleteVersionQuestion(list, 0, time)).toBe(
      'Delete dataset v1 (2026-12-01, 1 image)? Its crops and captions, with your edits, are deleted from the ' +
        'server; this cannot be undone. Download the zip first to keep a copy. The LoRAs trained on it and the ' +
        'job that built it stay. The versions after it move up a number.',
    );
    expect(deleteVersionQuestion(list, 1, time)).toMatch(
      /^Delete dataset v2 \(2026-12-02, 5 images\)\?.* stay\.$/,
    );
  });
});

describe('versionAfterDelete', () => {
  it('is the newest version left, or none', () => {
    expect(versionAfterDelete([version('1', 1), version('3', 2)])).toBe('3');
    expect(versionAfterDelete([])).toBeNull();
  });
});

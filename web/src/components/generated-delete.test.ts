// web/src/components/generated-delete.test.ts — the Generate page's delete questions (one image; a batch, naming how
// many images go with the job), their addresses, and the list once an image is gone.
import { describe, expect, it } from 'vitest';
import {
  batchDeleteUrl,
  deleteBatchQuestion,
  deleteImageQuestion,
  imageDeleteUrl,
  withoutImage,
} from './generated-delete.js';

describe('generated image deletes', () => {
  it('asks before an image goes, naming it and saying it cannot be undone', () => {
    expect(deleteImageQuestion('seed 1 · weight 0.8')).toBe(
      'Delete the image seed 1 · weight 0.8? Its file is deleted from the server; this cannot be undone. ' +
        'Download it first to keep a copy. The other images of its generation stay.',
    );
  });

  it('asks before a batch goes, with how many images (none: no advice to download)', () => {
    expect(deleteBatchQuestion(40)).toBe(
      'Delete this batch: its 40 images, with their files, and the job (its settings and status)? This cannot be ' +
        'undone. Download the images you want to keep first. Earlier generations stay.',
    );
    expect(deleteBatchQuestion(1)).toContain('its 1 image,');
    expect(deleteBatchQuestion(0)).toBe(
      'Delete this generation (it has no images): its settings and status? This cannot be undone. Earlier ' +
        'generations stay.',
    );
  });

  it('sends the image to its own route and the batch as the job with its images', () => {
    expect(imageDeleteUrl('a1')).toBe('/api/generated-images/a1');
    expect(batchDeleteUrl('j1')).toBe('/api/jobs/j1?withImages=true');
  });

  it('takes the deleted image off a list, leaving a list without it as it was', () => {
    const list = [{ id: 'a' }, { id: 'b' }];
    expect(withoutImage(list, 'a')).toEqual([{ id: 'b' }]);
    expect(withoutImage(list, 'x')).toEqual(list);
  });
});

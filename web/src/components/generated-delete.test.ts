// web/src/components/generated-delete.test.ts — the Generate page's delete questions (one image; a batch, naming how
// many images and sweep grids go with the job), their addresses, and the list once an image or a batch is gone.
import { describe, expect, it } from 'vitest';
import {
  batchDeleteUrl,
  deleteBatchQuestion,
  deleteImageQuestion,
  imageDeleteUrl,
  withoutImage,
  withoutJob,
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
  });

  it("names a batch's sweep grids too (DELETE ?withImages=true deletes them with the images)", () => {
    expect(deleteBatchQuestion(12, 1)).toBe(
      'Delete this batch: its 12 images and 1 sweep grid, with their files, and the job (its settings and ' +
        'status)? This cannot be undone. Download the images you want to keep first. Earlier generations stay.',
    );
    expect(deleteBatchQuestion(6, 3)).toContain('its 6 images and 3 sweep grids,');
    expect(deleteBatchQuestion(0, 2)).toContain('this batch: its 2 sweep grids,');
    expect(deleteBatchQuestion(4, 0)).toContain('its 4 images,');
    expect(deleteBatchQuestion(0, 0)).toBe(
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

  it("takes a deleted batch's images off a list, the other jobs' staying", () => {
    const list = [
      { id: 'a', jobId: 'j1' },
      { id: 'b', jobId: 'j2' },
      { id: 'c', jobId: 'j1' },
    ];
    expect(withoutJob(list, 'j1')).toEqual([{ id: 'b', jobId: 'j2' }]);
    expect(withoutJob(list, 'x')).toEqual(list);
  });
});

// src/jobs/remote/remote-run.test.ts — a resume from the server's checkpoint on another worker: the trainer's info
// line for a dataset only in another folder (each worker's own download) is said in the worker's terms; a warning
// that names a real change stays.
import { describe, expect, it } from 'vitest';
import { datasetFolderNote } from './remote-run.js';

const warning = (changes: string) => ({
  type: 'log' as const,
  level: 'warn' as const,
  message:
    `resuming /w/b/j1/Mina/checkpoints/step-000004 on a different dataset than it was trained on: ${changes}. ` +
    'The run goes on with this dataset; resume with the original one to continue the same training.',
});

describe('datasetFolderNote', () => {
  it("says the trainer's line for a dataset only in another folder in the worker's terms, and keeps any other", () => {
    const moved = {
      type: 'log' as const,
      level: 'info' as const,
      message:
        'resuming /w/b/j1/Mina/checkpoints/step-000004: the dataset moved from /w/a/j1/train-data to ' +
        '/w/b/j1/train-data, the same images and captions',
    };
    expect(datasetFolderNote(moved)).toEqual({
      type: 'log',
      level: 'info',
      message:
        "resuming /w/b/j1/Mina/checkpoints/step-000004 on this worker's download of the dataset (the checkpoint was " +
        'trained on the copy in /w/a/j1/train-data, on this or another worker)',
    });
    const changed = warning(
      'the dataset folder was /w/a/j1/train-data, now /w/b/j1/train-data; 2 images then, 3 now',
    );
    expect(datasetFolderNote(changed)).toEqual(changed);
    const progress = { type: 'progress' as const, progress: { step: 1, total: 2 } };
    expect(datasetFolderNote(progress)).toBe(progress);
  });
});

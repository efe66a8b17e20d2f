// web/src/components/use-generate-deletes.ts — the Generate page's deletes: a generated image's Delete and a finished
// job's "Delete this batch" (its images, sweep grids and the job, one request). Each is asked first
// (generated-delete.ts), says "Deleting…" on its button while its request is on its way, and once the server deleted
// it (or had already: another tab, a 404) hands it to the page, which takes it off what it shows without a reload. A refusal goes to the app's
// error path unmarked: a write's failure, shown even after the user went to another page, naming the Generate page
// (shown-page.ts). A Delete that takes its button away moves the focus to the next image's Delete, else `fallback`.
// The batch's delete is the finished job delete every page has (use-job-delete.ts), with its images and grids.
import { useRef, useState } from 'react';
import type { Artifact } from '../../../src/schemas/api.js';
import { nextInList, useFocusRescue } from './action-button.js';
import { deletedAt } from './delete-request.js';
import {
  batchDeleteUrl,
  deleteBatchQuestion,
  deleteImageQuestion,
  IMAGE_DELETE_ID,
  imageDeleteUrl,
} from './generated-delete.js';
import { useJobDelete } from './use-job-delete.js';

export interface GenerateDeletes {
  /** The images whose delete is on its way. */
  deleting: ReadonlySet<string>;
  /** Asks, then deletes `image` (`label`: how the page names it, "seed 1 · weight 0.8"). */
  removeImage: (image: Artifact, label: string) => Promise<void>;
  /** A batch delete is on its way. */
  batchBusy: boolean;
  /** Asks (naming `imageCount` images and `gridCount` sweep grids), then deletes finished job `jobId` with them. */
  removeBatch: (jobId: string, imageCount: number, gridCount: number) => Promise<void>;
}

export function useGenerateDeletes({
  onImageDeleted,
  onBatchDeleted,
  onError,
  fallback,
}: {
  onImageDeleted: (image: Artifact) => void;
  onBatchDeleted: (jobId: string) => void;
  onError: (error: unknown) => void;
  /** Where the focus goes when no image's Delete is left (the Generate button). */
  fallback: () => HTMLElement | null;
}): GenerateDeletes {
  const [deleting, setDeleting] = useState<ReadonlySet<string>>(new Set());
  const batch = useJobDelete({ onDeleted: onBatchDeleted, onError, fallback });
  /** Set at once (a re-render comes too late for a double click). */
  const inFlight = useRef(new Set<string>());
  const rescueFocus = useFocusRescue();
  const mark = (id: string, on: boolean) => {
    if (on) inFlight.current.add(id);
    else inFlight.current.delete(id);
    setDeleting(new Set(inFlight.current));
  };

  const removeImage = async (image: Artifact, label: string) => {
    if (inFlight.current.has(image.id) || !window.confirm(deleteImageQuestion(label))) return;
    const buttons = () => document.querySelectorAll<HTMLElement>(`[data-testid=${IMAGE_DELETE_ID}]`);
    const index = [...buttons()].indexOf(document.activeElement as HTMLElement);
    rescueFocus(() => (index >= 0 ? nextInList(buttons(), index) : null) ?? fallback());
    mark(image.id, true);
    try {
      if (await deletedAt(imageDeleteUrl(image.id), onError)) onImageDeleted(image);
    } finally {
      mark(image.id, false);
    }
  };

  const removeBatch = (jobId: string, imageCount: number, gridCount: number) =>
    batch.remove(jobId, deleteBatchQuestion(imageCount, gridCount), batchDeleteUrl(jobId));

  return { deleting, removeImage, batchBusy: batch.busy, removeBatch };
}

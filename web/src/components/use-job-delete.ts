// web/src/components/use-job-delete.ts — a page's delete of the finished job it shows (the Train page's and the
// Upload page's "Delete this job", the Generate page's "Delete this batch"): asked first, then one DELETE; its button
// says "Deleting…" while the request is on its way, a double click sends one. Once the server deleted the job (or had
// already: a 404) the page is told, to take it off what it shows without a reload; a refusal (a 409 naming the dataset
// version or LoRA to delete first, a job still stopping) goes to the page's error path unmarked (delete-request.ts).
// The button goes with the job: its focus moves to `fallback`. useShownJobDelete is that for a page that shows one job
// of a kind and reopens the one before it once it is gone (Train, Upload).
import { type Dispatch, type SetStateAction, useRef, useState } from 'react';
import type { Job } from '../../../src/schemas/api.js';
import { useFocusRescue } from './action-button.js';
import { deletedAt } from './delete-request.js';
import { jobDeleteUrl } from './finished-job-delete.js';
import { jobToReopen } from './job-view.js';
import { type NewestReads, readNewest } from './newest-read.js';

export interface JobDelete {
  /** A job's delete is on its way. */
  busy: boolean;
  /** Asks `question`, then deletes job `jobId` at `url` (by default DELETE /api/jobs/:id). */
  remove: (jobId: string, question: string, url?: string) => Promise<void>;
}

export function useJobDelete({
  onDeleted,
  onError,
  fallback,
}: {
  /** Job `jobId` is gone from the server. */
  onDeleted: (jobId: string) => void;
  onError: (error: unknown) => void;
  /** Where the focus goes once the button went (a heading, the page's main button). */
  fallback: () => HTMLElement | null;
}): JobDelete {
  const [busy, setBusy] = useState(false);
  /** Set at once (a re-render comes too late for a double click). */
  const inFlight = useRef(new Set<string>());
  const rescueFocus = useFocusRescue();

  const remove = async (jobId: string, question: string, url = jobDeleteUrl(jobId)) => {
    if (inFlight.current.has(jobId) || !window.confirm(question)) return;
    rescueFocus(fallback);
    inFlight.current.add(jobId);
    setBusy(true);
    try {
      if (await deletedAt(url, onError)) onDeleted(jobId);
    } finally {
      inFlight.current.delete(jobId);
      setBusy(false);
    }
  };

  return { busy, remove };
}

/**
 * useJobDelete for the job a page shows (`setJob`'s): once deleted it is shown no more, any read of the jobs of
 * `reads` begun before the delete is dropped (a ticket shown at once: its answer would bring the job back), and the
 * jobs are read again (`readJobs`) for the one the page reopens without it (jobToReopen), unless the page shows
 * another job by then (one started since).
 */
export function useShownJobDelete({
  reads,
  readJobs,
  setJob,
  onError,
  fallback,
}: {
  reads: NewestReads;
  readJobs: () => Promise<Job[]>;
  setJob: Dispatch<SetStateAction<Job | null>>;
  onError: (error: unknown) => void;
  fallback: () => HTMLElement | null;
}): JobDelete {
  return useJobDelete({
    onDeleted: (jobId) => {
      reads.begin().show();
      setJob((shown) => (shown?.id === jobId ? null : shown));
      void readNewest(reads, readJobs, (jobs) => setJob((shown) => shown ?? jobToReopen(jobs)), onError);
    },
    onError,
    fallback,
  });
}

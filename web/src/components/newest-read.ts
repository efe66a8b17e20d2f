// web/src/components/newest-read.ts — "the newest answer wins" for a page that reads the same list from several
// places (its opening read, a re-read after the user's own change, one its event stream or a tab return asks for):
// answers come back in any order, and an older read's answer arriving last put back what the newer one had already
// replaced (a removed screenshot or a deleted character came back). Each read takes a ticket as it starts; an
// answer shows only when no answer of a read begun after it has shown. A read that fails counts for nothing: an
// older read's answer still shows after it (before, the failed read blocked it, and a page opened while the server
// was down stayed blank once it came back). What the user picks meanwhile is the page's to keep (lora.tsx). Also:
// whether a component is still shown, for an action that asks the user something after an await (the question
// must not pop up on the page the user went on to).
import { useEffect, useRef } from 'react';
import { asReadFailure } from './shown-page.js';

/** One read's (or write's) ticket, asked when its answer (or failure) comes. */
export interface ReadTicket {
  /** Whether to show the answer: no answer of a read begun later showed. Yes counts it as shown (an older read's
   * answer coming after it is dropped). */
  show: () => boolean;
  /** Whether no read began since: a failure is reported only then (a newer read's answer or failure speaks for the
   * page), and a write's answer shows whole only then (dataset.tsx). */
  newest: () => boolean;
}

export interface NewestReads {
  /** A read starts: its ticket. */
  begin: () => ReadTicket;
}

/** A counter of reads begun and the newest one shown; see NewestReads. */
export function newestReads(): NewestReads {
  let begun = 0;
  let shown = 0;
  return {
    begin: () => {
      begun += 1;
      const ticket = begun;
      return {
        show: () => {
          if (ticket <= shown) return false;
          shown = ticket;
          return true;
        },
        newest: () => ticket === begun,
      };
    },
  };
}

/** The same `newestReads()` for the component's whole life. */
export function useNewestReads(): NewestReads {
  const reads = useRef<NewestReads | null>(null);
  reads.current ??= newestReads();
  return reads.current;
}

/** Starts a read of `reads`: the returned handler runs `handle` only when no newer answer showed (for answers that
 * come by another way than readNewest, e.g. the opening read's readUntilAnswered). */
export function ifNewest<T>(reads: NewestReads, handle: (answer: T) => void): (answer: T) => void {
  const ticket = reads.begin();
  return (answer) => {
    if (ticket.show()) handle(answer);
  };
}

/** `read()`, its answer handed to `show` only when no newer answer showed; its failure to `failed` (marked as a
 * read's: shown-page.ts) only when no read of `reads` began since. */
export function readNewest<T>(
  reads: NewestReads,
  read: () => Promise<T>,
  show: (answer: T) => void,
  failed: (error: unknown) => void,
): Promise<void> {
  const ticket = reads.begin();
  return read().then(
    (answer) => {
      if (ticket.show()) show(answer);
    },
    (error: unknown) => {
      if (ticket.newest()) failed(asReadFailure(error));
    },
  );
}

/** Whether the component is still shown (mounted): false once the user went to another page. */
export function useStillShown(): () => boolean {
  const shown = useRef(false);
  useEffect(() => {
    shown.current = true;
    return () => {
      shown.current = false;
    };
  }, []);
  return () => shown.current;
}

// web/src/components/newest-read.ts — "the newest read wins" for a page that reads the same list from several
// places (its opening read, a re-read after the user's own change, one its event stream or a tab return asks for):
// answers come back in any order, and an older read's answer arriving last put back what the newer one had already
// replaced (a removed screenshot or a deleted character came back; a LoRA the user picked meanwhile was undone).
// Each read takes a ticket as it starts; only the newest ticket's answer is shown. A user's own pick takes a ticket
// too, so a read begun before it cannot undo it. Also: whether a component is still shown, for an action that
// asks the user something after an await (the question must not pop up on the page the user went on to).
import { useEffect, useRef } from 'react';
import { asReadFailure } from './shown-page.js';

export interface NewestReads {
  /** A read starts: the returned function says, when its answer comes, whether it is still the newest. */
  begin: () => () => boolean;
  /** Something newer than every read under way happened (the user picked): their answers are dropped. */
  supersede: () => void;
}

/** A counter of reads; see NewestReads. */
export function newestReads(): NewestReads {
  let latest = 0;
  return {
    begin: () => {
      latest += 1;
      const ticket = latest;
      return () => ticket === latest;
    },
    supersede: () => {
      latest += 1;
    },
  };
}

/** The same `newestReads()` for the component's whole life. */
export function useNewestReads(): NewestReads {
  const reads = useRef<NewestReads | null>(null);
  reads.current ??= newestReads();
  return reads.current;
}

/** Starts a read of `reads`: the returned handler runs `handle` only when no read began since (for answers that come
 * by another way than readNewest, e.g. the opening read's readUntilAnswered). */
export function ifNewest<T>(reads: NewestReads, handle: (answer: T) => void): (answer: T) => void {
  const newest = reads.begin();
  return (answer) => {
    if (newest()) handle(answer);
  };
}

/** `read()`, its answer handed to `show` (its failure to `failed`, marked as a read's: shown-page.ts) only when no
 * read of `reads` began since. */
export function readNewest<T>(
  reads: NewestReads,
  read: () => Promise<T>,
  show: (answer: T) => void,
  failed: (error: unknown) => void,
): Promise<void> {
  const newest = reads.begin();
  return read().then(
    (answer) => {
      if (newest()) show(answer);
    },
    (error: unknown) => {
      if (newest()) failed(asReadFailure(error));
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

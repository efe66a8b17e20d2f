// web/src/components/use-submit-once.ts — a React hook for buttons that start a job: a second click (a
// double click, an impatient user) while the first request is on its way does nothing, and `busy` lets the
// button show it is disabled. The guard is a ref, set synchronously: a re-render comes too late for a
// double click.
import { useRef, useState } from 'react';

export function useSubmitOnce(): { busy: boolean; once: (action: () => Promise<void>) => Promise<void> } {
  const inFlight = useRef(false);
  const [busy, setBusy] = useState(false);
  const once = async (action: () => Promise<void>) => {
    if (inFlight.current) return;
    inFlight.current = true;
    setBusy(true);
    try {
      await action();
    } finally {
      inFlight.current = false;
      setBusy(false);
    }
  };
  return { busy, once };
}

// web/src/components/tab-return.ts — calls back when the user comes back to this tab (it becomes visible again,
// or its window gets the focus), at most once a second (both events come together): a page re-reads then what
// another tab may have changed meanwhile (the Dataset page: an item excluded or re-included there, which this
// tab showed as it was, and toggled from that stale view).
export interface TabReturnTargets {
  window: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  document: Pick<EventTarget, 'addEventListener' | 'removeEventListener'> & { visibilityState: string };
}

/** @returns the function that stops watching */
export function watchTabReturn(
  targets: TabReturnTargets,
  onReturn: () => void,
  now: () => number = Date.now,
): () => void {
  let last = Number.NEGATIVE_INFINITY;
  const fire = () => {
    if (now() - last < 1000) return;
    last = now();
    onReturn();
  };
  const onVisibility = () => {
    if (targets.document.visibilityState === 'visible') fire();
  };
  targets.window.addEventListener('focus', fire);
  targets.document.addEventListener('visibilitychange', onVisibility);
  return () => {
    targets.window.removeEventListener('focus', fire);
    targets.document.removeEventListener('visibilitychange', onVisibility);
  };
}

// web/src/components/tab-return.test.ts — coming back to a tab (visible again, or its window focused) calls back
// once for the pair of events, not when the tab is hidden, and not after the watch stopped.
import { describe, expect, it, vi } from 'vitest';
import { watchTabReturn } from './tab-return.js';

function targets() {
  const document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  return { window: new EventTarget(), document };
}

describe('watchTabReturn', () => {
  it('calls back when the tab is visible again or focused, once for both events together', () => {
    const t = targets();
    let clock = 10_000;
    const onReturn = vi.fn();
    const stop = watchTabReturn(t, onReturn, () => clock);
    t.document.visibilityState = 'hidden';
    t.document.dispatchEvent(new Event('visibilitychange'));
    expect(onReturn).not.toHaveBeenCalled();
    t.document.visibilityState = 'visible';
    t.document.dispatchEvent(new Event('visibilitychange'));
    t.window.dispatchEvent(new Event('focus'));
    expect(onReturn).toHaveBeenCalledTimes(1);
    clock += 5_000;
    t.window.dispatchEvent(new Event('focus'));
    expect(onReturn).toHaveBeenCalledTimes(2);
    stop();
    clock += 5_000;
    t.window.dispatchEvent(new Event('focus'));
    expect(onReturn).toHaveBeenCalledTimes(2);
  });
});

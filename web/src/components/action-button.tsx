// web/src/components/action-button.tsx — keyboard focus around the app's actions: a button that waits for its
// request (or has nothing left to do after its own press) without dropping the focus to the page, and a hook
// that moves the focus somewhere sensible when an action takes away the element that held it (a removed
// screenshot, a deleted character, a job's Cancel once the job ended). A `disabled` button loses the focus at
// once (Chromium moves it to <body>: the next Tab starts again at the header), so a button that holds the focus
// is only aria-disabled and ignores presses.
import { type ButtonHTMLAttributes, type Ref, useEffect, useRef, useState } from 'react';

export type ActionButtonProps = Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'disabled'> & {
  /** Its request is on its way: it says so (aria-busy), ignores presses and keeps the focus. */
  busy?: boolean;
  /** Nothing to do now: disabled (out of the tab order), except while it holds the focus, where it is only
   * aria-disabled until the focus leaves (its own press made it so: Save, Exclude selected). */
  off?: boolean;
  ref?: Ref<HTMLButtonElement>;
};

/** Whether a button that is `busy` or `off` takes the native `disabled` (which drops the focus): only when
 * off and not focused. */
export function nativelyDisabled(busy: boolean, off: boolean, focused: boolean): boolean {
  return off && !busy && !focused;
}

/** A `<button>` (type "button" unless given) with `busy` / `off` as above; the other props pass through. */
export function ActionButton({
  busy = false,
  off = false,
  onClick,
  onFocus,
  onBlur,
  ...rest
}: ActionButtonProps) {
  const [focused, setFocused] = useState(false);
  const inert = busy || off;
  return (
    <button
      type="button"
      {...rest}
      disabled={nativelyDisabled(busy, off, focused)}
      aria-disabled={inert || undefined}
      aria-busy={busy || undefined}
      onFocus={(event) => {
        setFocused(true);
        onFocus?.(event);
      }}
      onBlur={(event) => {
        setFocused(false);
        onBlur?.(event);
      }}
      onClick={(event) => {
        // also stops a submit button's form (a click, or Enter in a field of the form)
        if (inert) {
          event.preventDefault();
          return;
        }
        onClick?.(event);
      }}
    />
  );
}

/** Whether the focus went to the page (the element that held it was removed or disabled). */
export function focusLost(doc: Document): boolean {
  return doc.activeElement === null || doc.activeElement === doc.body;
}

/** Of `elements` (what is left of a list after one was removed at `index`), the one now at `index` (the next),
 * else the last one; null when the list is empty. */
export function nextInList<T>(elements: ArrayLike<T>, index: number): T | null {
  if (elements.length === 0) return null;
  return elements[Math.min(index, elements.length - 1)] ?? null;
}

/**
 * Call the returned `rescue(find)` as an action starts: when a later render of this component has taken away
 * the element focused at that moment and the focus went to the page, it goes to `find()` (run then, on the new
 * page state). If the element is still there and focused, it waits for a later render; focus moved elsewhere by
 * the user is left alone.
 */
export function useFocusRescue(): (find: () => HTMLElement | null | undefined) => void {
  const pending = useRef<{ from: Element | null; find: () => HTMLElement | null | undefined } | null>(null);
  useEffect(() => {
    const waiting = pending.current;
    if (!waiting) return;
    if (waiting.from?.isConnected && document.activeElement === waiting.from) return;
    pending.current = null;
    if (focusLost(document)) waiting.find()?.focus();
  });
  return (find) => {
    pending.current = { from: document.activeElement, find };
  };
}

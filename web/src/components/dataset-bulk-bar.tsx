// web/src/components/dataset-bulk-bar.tsx — the Dataset page's bar above its rows (it stays in view while the
// list scrolls): "Select all shown" (honouring the "Show" choice), the count picked ("12 selected"), Exclude /
// Re-include selected (one request for them all), Clear; Escape in the bar clears too. What a bulk action did is
// said in a status line.
import { useEffect, useRef } from 'react';
import { ActionButton } from './action-button.js';
import { pickedText } from './dataset-selection.js';

export function BulkBar({
  shown,
  picked,
  toExclude,
  toInclude,
  busy,
  notice,
  onPickAll,
  onBulk,
  onClear,
}: {
  /** Rows shown now (under the "Show" choice and the page's "Show more"). */
  shown: number;
  /** Shown rows picked. */
  picked: number;
  /** Picked rows an exclude / a re-include would change. */
  toExclude: number;
  toInclude: number;
  /** A bulk request is on its way: the buttons wait for it. */
  busy: boolean;
  /** What the last bulk action did. */
  notice: string | null;
  onPickAll: () => void;
  onBulk: (excluded: boolean) => void;
  onClear: () => void;
}) {
  const all = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (all.current) all.current.indeterminate = picked > 0 && picked < shown;
  }, [picked, shown]);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: Escape from any of the bar's controls clears the selection
    <div
      className="row bulk-bar"
      data-testid="bulk-bar"
      onKeyDown={(e) => {
        if (e.key === 'Escape' && picked > 0) onClear();
      }}
    >
      <label>
        <input
          ref={all}
          type="checkbox"
          data-testid="pick-all"
          checked={shown > 0 && picked === shown}
          disabled={shown === 0}
          onChange={onPickAll}
        />{' '}
        Select all shown ({shown})
      </label>
      <span className="muted" role="status" aria-live="polite" data-testid="picked-count">
        {pickedText(picked)}
      </span>
      <BulkButton which="exclude" count={toExclude} busy={busy} onClick={() => onBulk(true)}>
        Exclude selected
      </BulkButton>
      <BulkButton which="include" count={toInclude} busy={busy} onClick={() => onBulk(false)}>
        Re-include selected
      </BulkButton>
      {picked > 0 && (
        <button type="button" className="secondary" data-testid="bulk-clear" onClick={onClear}>
          Clear selection
        </button>
      )}
      {notice && (
        <span className="muted small" role="status" data-testid="bulk-notice">
          {notice}
        </span>
      )}
    </div>
  );
}

/** Exclude / Re-include selected: waits while a request is out, off when it would change no picked row (pressed
 * from the keyboard, it keeps the focus: ActionButton); the count it would change after its label. */
function BulkButton({
  which,
  count,
  busy,
  onClick,
  children,
}: {
  which: 'exclude' | 'include';
  count: number;
  busy: boolean;
  onClick: () => void;
  children: string;
}) {
  return (
    <ActionButton
      className="secondary"
      data-testid={`bulk-${which}`}
      busy={busy}
      off={count === 0}
      onClick={onClick}
    >
      {children}
      {count > 0 ? ` (${count})` : ''}
    </ActionButton>
  );
}

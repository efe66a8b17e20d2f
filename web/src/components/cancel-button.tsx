// web/src/components/cancel-button.tsx — a running job's Cancel button: after the first click it is disabled
// and says "Cancelling…" until the page takes it away (the job ended) or the request failed (then it is
// offered again). A job stops at its next step, which may take seconds.
import { useState } from 'react';
import { cancelButtonLabel } from './job-view.js';

export function CancelButton({
  onCancel,
  label = 'Cancel',
}: {
  onCancel: () => Promise<unknown>;
  label?: string;
}) {
  const [cancelling, setCancelling] = useState(false);
  return (
    <button
      type="button"
      className="secondary"
      data-testid="cancel-job"
      disabled={cancelling}
      aria-disabled={cancelling}
      onClick={() => {
        if (cancelling) return;
        setCancelling(true);
        onCancel().then(
          (cancelled) => {
            // false: the request failed (its page showed why): offer the button again
            if (cancelled === false) setCancelling(false);
          },
          () => setCancelling(false),
        );
      }}
    >
      {cancelButtonLabel(label, cancelling)}
    </button>
  );
}

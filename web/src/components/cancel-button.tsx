// web/src/components/cancel-button.tsx — a running job's Cancel button: after the first click it waits
// (aria-disabled, keeping the keyboard focus) and says "Cancelling…" until the page takes it away (the job
// ended; the page moves the focus on) or the request failed (then it is offered again). A job stops at its
// next step, which may take seconds.
import { useState } from 'react';
import { ActionButton } from './action-button.js';
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
    <ActionButton
      className="secondary"
      data-testid="cancel-job"
      busy={cancelling}
      onClick={() => {
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
    </ActionButton>
  );
}

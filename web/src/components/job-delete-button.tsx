// web/src/components/job-delete-button.tsx — the button that deletes the finished job a page shows ("Delete this job"
// on the Train and Upload pages, "Delete this batch" on the Generate page): "Deleting…" while its request is on its
// way (use-job-delete.ts asks first and sends it).
import { ActionButton } from './action-button.js';

export function JobDeleteButton({
  busy,
  onDelete,
  label = 'Delete this job',
  testId = 'delete-job',
}: {
  busy: boolean;
  onDelete: () => void;
  label?: string;
  testId?: string;
}) {
  return (
    <ActionButton className="secondary" data-testid={testId} busy={busy} onClick={onDelete}>
      {busy ? 'Deleting…' : label}
    </ActionButton>
  );
}

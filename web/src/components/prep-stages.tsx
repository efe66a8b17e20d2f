// web/src/components/prep-stages.tsx — what a finished prep shows of its stage choices on the Upload page: the
// no-tags warning and "Stages used", each reason in the web app's words (job-view.ts) with its "Models page" a link.
import { LinkedText } from './linked-text.js';
import { prepCaptionWarning, prepStageChoices } from './job-view.js';

/** The warning a prep result calls for when captions fell back to the trigger and class words, or nothing. */
export function PrepCaptionWarning({ result }: { result: Record<string, unknown> | null | undefined }) {
  const warning = prepCaptionWarning(result);
  if (!warning) return null;
  return (
    <p className="field-warning" data-testid="caption-fallback">
      <LinkedText text={warning} />
    </p>
  );
}

/** The stages a prep result used, with why (nothing when it records none). */
export function PrepStagesUsed({ result }: { result: Record<string, unknown> | null | undefined }) {
  const choices = prepStageChoices(result);
  if (choices.length === 0) return null;
  return (
    <details className="small" data-testid="prep-stages">
      <summary>Stages used</summary>
      <ul>
        {choices.map((choice) => (
          <li key={choice.stage}>
            {choice.stage}: <b>{choice.name}</b>
            {choice.reason && (
              <span className="muted">
                {' '}
                (<LinkedText text={choice.reason} />)
              </span>
            )}
          </li>
        ))}
      </ul>
    </details>
  );
}

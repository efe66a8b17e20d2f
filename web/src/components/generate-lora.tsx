// web/src/components/generate-lora.tsx — the Generate page's LoRA field, and its choice once that LoRA was deleted
// (DELETE /api/loras/:id, on the LoRA page, perhaps in another tab): a reopened job's LoRA, or one the page listed
// before, stays chosen and is said to be deleted, for the user to choose another; Generate with it is refused in
// these words (by the page, or by the server's 404 when the page learned of the delete only then).
import type { Artifact } from '../../../src/schemas/api.js';
import { type ListedLoraIds, listedLora } from './lora-address.js';
import { invalidFieldAttributes } from './number-input.js';

/** The field's name (its select's `name`), for the form error's focus and aria-invalid. */
export const LORA_FIELD = 'loraId';

/** Whether the chosen `loraId` ('' is none: the base alone) is no longer among the listed LoRAs (null: not read); an
 * older row of a listed LoRA's file (a job an older toonlora recorded) is that LoRA, not gone. */
export function chosenLoraGone(loraId: string, loras: readonly ListedLoraIds[] | null): boolean {
  return loraId !== '' && loras !== null && listedLora(loras, loraId) === undefined;
}

/** What the page says of a chosen LoRA that was deleted; `name` when the page listed it before, else null. */
export function goneLoraWords(name: string | null): string {
  const which = name === null ? 'The LoRA this job used' : `The LoRA ${name}`;
  return `${which} was deleted (on the LoRA page, perhaps in another tab). Choose another LoRA, or "(none)" for the base model alone.`;
}

/** The select's entry for the deleted LoRA (kept so that the choice stays the user's). */
export function goneLoraOption(name: string | null): string {
  return name === null ? '(deleted LoRA)' : `${name} (deleted)`;
}

/**
 * Whether `error` is the server refusing a generate job because its LoRA `loraId` is not there (POST /api/jobs
 * answers 404 TL_ERR_NOT_FOUND with the artifact's id in `details.id`).
 */
export function isGoneLoraRefusal(error: unknown, loraId: string): boolean {
  if (loraId === '' || typeof error !== 'object' || error === null) return false;
  const { status, details } = error as { status?: unknown; details?: { id?: unknown } };
  return status === 404 && details?.id === loraId;
}

/**
 * The LoRA select (`(none)` first, then `loras`), with an entry for the chosen LoRA once it was deleted
 * (`goneName`: its name, when the page listed it; undefined: it is listed) and the words under it, unless the form
 * error (`invalid`) says them. An older row of a listed LoRA's file shows as that LoRA chosen.
 */
export function LoraField({
  loras,
  loraId,
  goneName,
  invalid,
  onChange,
}: {
  loras: readonly Artifact[];
  loraId: string;
  goneName: string | null | undefined;
  invalid: boolean;
  onChange: (loraId: string) => void;
}) {
  const gone = goneName !== undefined;
  return (
    <>
      <label className="phone-wide">
        LoRA
        <select
          name={LORA_FIELD}
          value={listedLora(loras, loraId)?.id ?? loraId}
          {...invalidFieldAttributes(invalid)}
          onChange={(e) => onChange(e.target.value)}
        >
          <option value="">(none: base model only)</option>
          {gone && (
            <option value={loraId} disabled>
              {goneLoraOption(goneName)}
            </option>
          )}
          {loras.map((l) => (
            <option key={l.id} value={l.id}>
              {l.name}
            </option>
          ))}
        </select>
      </label>
      {gone && !invalid && (
        <p className="field-note wide small field-warning" role="status" data-testid="lora-deleted">
          {goneLoraWords(goneName)}
        </p>
      )}
    </>
  );
}

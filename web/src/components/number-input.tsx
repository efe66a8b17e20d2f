// web/src/components/number-input.tsx — a labelled number field of a form: its limits from the field's
// schema (number-field.ts), its text kept as typed; the form checks it on submit, and a field the form
// refused is marked aria-invalid and described by the form's error (FORM_ERROR_ID).
import { type NumberFieldSpec, numberAttributes } from './number-field.js';

/** The id of a form's error line, which an invalid field points at with aria-describedby. */
export const FORM_ERROR_ID = 'form-error';

/** The aria attributes of a form field: invalid ones point at the form's error line. */
export function invalidFieldAttributes(invalid: boolean): {
  'aria-invalid'?: true;
  'aria-describedby'?: string;
} {
  return invalid ? { 'aria-invalid': true, 'aria-describedby': FORM_ERROR_ID } : {};
}

/** Moves the focus to the form field named `name` (the one the form's error is about). */
export function focusField(name: string | null): void {
  if (name) document.querySelector<HTMLElement>(`[name="${CSS.escape(name)}"]`)?.focus();
}

export function NumberInput({
  name,
  spec,
  value,
  onChange,
  required = true,
  placeholder,
  invalid = false,
}: {
  name: string;
  spec: NumberFieldSpec;
  value: string;
  onChange: (text: string) => void;
  /** false: empty means the default (e.g. alpha = rank) */
  required?: boolean;
  placeholder?: string;
  /** the form refused this field: aria-invalid, described by the form's error */
  invalid?: boolean;
}) {
  return (
    <label>
      {spec.label}
      <input
        name={name}
        type="number"
        required={required}
        {...numberAttributes(spec)}
        placeholder={placeholder}
        value={value}
        {...invalidFieldAttributes(invalid)}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

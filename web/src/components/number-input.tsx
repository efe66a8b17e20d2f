// web/src/components/number-input.tsx — a labelled number field of a form: its limits from the field's
// schema (number-field.ts), its text kept as typed; the form checks it on submit.
import { type NumberFieldSpec, numberAttributes } from './number-field.js';

export function NumberInput({
  name,
  spec,
  value,
  onChange,
  required = true,
  placeholder,
}: {
  name: string;
  spec: NumberFieldSpec;
  value: string;
  onChange: (text: string) => void;
  /** false: empty means the default (e.g. alpha = rank) */
  required?: boolean;
  placeholder?: string;
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
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

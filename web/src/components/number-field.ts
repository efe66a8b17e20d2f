// web/src/components/number-field.ts — number inputs that hold their text while it is edited (pure): the
// input attributes (min / max / step) from a zod number schema, and the text checked against the same
// schema when the form is sent, so an emptied or out-of-range field is refused in the browser, naming the
// field and what it takes, instead of going to the server as 0.
import type { z } from 'zod';

/** A form's number field: its label, the schema it is checked with, and a step it must be a multiple of. */
export interface NumberFieldSpec {
  label: string;
  schema: z.ZodNumber;
  /** The schema's multipleOf (zod does not expose it), e.g. 8 for a resolution. */
  multipleOf?: number;
}

const limit = (value: number | null) =>
  value !== null && Number.isFinite(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER ? value : undefined;

/** `<input type="number">` attributes from the schema's limits: step = the multiple, 1 for whole numbers, else any. */
export function numberAttributes(spec: NumberFieldSpec): {
  min?: number;
  max?: number;
  step: number | 'any';
} {
  const min = limit(spec.schema.minValue);
  const max = limit(spec.schema.maxValue);
  return {
    ...(min === undefined ? {} : { min }),
    ...(max === undefined ? {} : { max }),
    step: spec.multipleOf ?? (spec.schema.isInt ? 1 : 'any'),
  };
}

/** What the field takes: "a whole number from 1 to 1000000", "a number above 0, up to 1". */
export function describeNumberField(spec: NumberFieldSpec): string {
  const { schema } = spec;
  const what = spec.multipleOf
    ? `a multiple of ${spec.multipleOf}`
    : schema.isInt
      ? 'a whole number'
      : 'a number';
  const min = limit(schema.minValue);
  const max = limit(schema.maxValue);
  // positive() reports 0 as its minValue; 0 itself is then refused
  const minInclusive = min === undefined || schema.safeParse(min).success;
  if (min !== undefined && max !== undefined) {
    return minInclusive ? `${what} from ${min} to ${max}` : `${what} above ${min}, up to ${max}`;
  }
  if (min !== undefined) return minInclusive ? `${what} of at least ${min}` : `${what} above ${min}`;
  if (max !== undefined) return `${what} up to ${max}`;
  return what;
}

export type NumberFieldResult = { ok: true; value: number } | { ok: false; error: string };

/** The field's text as a number its schema accepts, or why not ("Steps: enter a whole number from 1 to 1000000"). */
export function parseNumberField(spec: NumberFieldSpec, text: string): NumberFieldResult {
  const trimmed = text.trim();
  const value = trimmed === '' ? Number.NaN : Number(trimmed);
  const multipleOk = spec.multipleOf === undefined || value % spec.multipleOf === 0;
  if (Number.isFinite(value) && multipleOk && spec.schema.safeParse(value).success)
    return { ok: true, value };
  return { ok: false, error: `${spec.label}: enter ${describeNumberField(spec)}` };
}

/** A number as the field's text (0.0001 rather than 1.0000000000000001e-4 after arithmetic). */
export function numberText(value: number): string {
  return String(Number(value.toPrecision(12)));
}

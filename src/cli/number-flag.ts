// src/cli/number-flag.ts — turns a numeric flag's text into a number, or a usage error naming the
// flag and the text (not zod's "expected number, received NaN" once Number() has eaten the text).
import { ToonloraError } from '../errors.js';

/**
 * Plain decimal text: optional sign, digits with an optional fraction, optional exponent (`16`, `-2`,
 * `0.5`, `.5`, `1e-4`). Number() alone also takes `0x10` (16), `0b1`, `0o7` and `Infinity`.
 */
const DECIMAL_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * `value` as a number when it is plain decimal text (surrounding spaces ignored), else NaN; also NaN for text
 * that overflows to Infinity. For a flag whose own range message also covers text that is not a number.
 */
export function decimalNumber(value: string): number {
  const text = value.trim();
  const parsed = DECIMAL_NUMBER.test(text) ? Number(text) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : Number.NaN;
}

/**
 * `value` as a number; `undefined` stays `undefined` (flag not given). Surrounding spaces are ignored.
 * Range and integer checks stay with the config schema; this only refuses text that is not a plain
 * decimal number (hex, binary, octal, `Infinity`, empty) or that overflows to Infinity (`1e400`).
 * @throws ToonloraError TL_ERR_USAGE `--rank: "abc" is not a number. Give a number after --rank.`
 */
export function numberFlag(value: string, flag: string): number;
export function numberFlag(value: string | undefined, flag: string): number | undefined;
export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = decimalNumber(value);
  if (Number.isNaN(parsed)) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `${flag}: ${JSON.stringify(value)} is not a number. Give a number after ${flag}.`,
      { details: { flag, value } },
    );
  }
  return parsed;
}

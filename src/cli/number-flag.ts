// src/cli/number-flag.ts — turns a numeric flag's text into a number, or a usage error naming the
// flag and the text (not zod's "expected number, received NaN" once Number() has eaten the text).
import { ToonloraError } from '../errors.js';

/**
 * `value` as a number; `undefined` stays `undefined` (flag not given). Range checks stay with the
 * config schema; this only refuses text that is not a finite number.
 * @throws ToonloraError TL_ERR_USAGE `--rank: "abc" is not a number. Give a number after --rank.`
 */
export function numberFlag(value: string, flag: string): number;
export function numberFlag(value: string | undefined, flag: string): number | undefined;
export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed)) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `${flag}: ${JSON.stringify(value)} is not a number. Give a number after ${flag}.`,
      { details: { flag, value } },
    );
  }
  return parsed;
}

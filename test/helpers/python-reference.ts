// test/helpers/python-reference.ts — where the prep benchmark's Python reference (bench/prep_ref_*.py) runs:
// trainer/.venv's python, and whether it has opencv and numpy (the reference tests skip, with a note, if not).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root. */
export const repo = new URL('../..', import.meta.url).pathname;
export const python = join(repo, 'trainer/.venv/bin/python');

/** Whether trainer/.venv's python imports cv2 and numpy; if not, warns `<test>: ... missing; <skipped>`. */
export function hasReferenceTools(test: string, skipped: string): boolean {
  let found = existsSync(python);
  if (found) {
    try {
      execFileSync(python, ['-c', 'import cv2, numpy'], { stdio: 'ignore' });
    } catch {
      found = false;
    }
  }
  if (!found) console.warn(`${test}: trainer/.venv with opencv/numpy is missing; ${skipped}`);
  return found;
}

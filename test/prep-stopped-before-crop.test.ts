// test/prep-stopped-before-crop.test.ts — a prep stopped (Ctrl-C) before its first crop writes nothing: the output
// folder is as it was (a new one is not left behind, an empty one stays empty), so the same command run again is
// not refused with "the output folder is not empty ... pass --overwrite" (before, it held a 0-crop manifest).
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatResult } from '../src/cli/commands/prep.js';
import { runPrep } from '../src/prep/pipeline.js';
import { prepOutputFixture, writtenDataset } from './helpers/prep-output-setup.js';

const { root, emptyCache, drawn } = prepOutputFixture();

/** A run stopped before it hands out a file: the Ctrl-C came while its stages were loading. */
function stoppedRun(outDir: string) {
  const controller = new AbortController();
  controller.abort();
  return runPrep({ inputs: [drawn.panel], outDir, cache: emptyCache, signal: controller.signal });
}

describe('a prep stopped before its first crop', () => {
  it.each([
    ['a new output folder is not left behind', false],
    ['an empty output folder stays empty', true],
  ])(
    '%s, and the same command then runs',
    async (_, existed) => {
      const out = join(root, existed ? 'stopped-empty' : 'stopped-new');
      if (existed) mkdirSync(out);
      const stopped = await stoppedRun(out);
      expect(stopped).toMatchObject({ manifestPath: null, datasetDir: null, keptPrevious: false });
      expect(stopped.manifest).toMatchObject({ cancelled: true, summary: { crops: 0 } });
      expect(existsSync(out)).toBe(existed);
      if (existed) expect(readdirSync(out)).toEqual([]);
      expect(formatResult(stopped).split('\n').at(-1)).toBe(
        `dataset:  none written (stopped before the first crop); ${out} is left as it was`,
      );
      const again = await runPrep({ inputs: [drawn.panel], outDir: out, cache: emptyCache });
      expect(readdirSync(writtenDataset(again)).length).toBeGreaterThan(0);
    },
    60_000,
  );
});

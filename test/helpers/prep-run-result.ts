// test/helpers/prep-run-result.ts — what a stand-in runPrep (a server test's vi.mock of src/prep/pipeline.js)
// returns once stopped: a cancelled run's result. No imports of the app: mock factories load it themselves.
import { join } from 'node:path';
import type { PrepOptions, PrepResult } from '../../src/prep/pipeline.js';
import type { Manifest } from '../../src/schemas/manifest.js';

/** A cancelled run's result for `options`, its dataset in `10_mina_tl girl/`, as runPrep returns it. */
export function stoppedRunResult(options: PrepOptions, manifest: Manifest, notProcessed: number): PrepResult {
  return {
    outDir: options.outDir,
    datasetDir: join(options.outDir, '10_mina_tl girl'),
    manifestPath: join(options.outDir, 'manifest.json'),
    manifest,
    keptPrevious: false,
    notProcessed,
  };
}

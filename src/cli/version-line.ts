// src/cli/version-line.ts — what `toonlora --version` prints: the package version and the two numbers that decide
// whether two installs work together (the remote worker protocol; the data folder's database schema), since two
// builds may say the same package version. `--json` gives the same as one object.
import { MIGRATIONS } from '../jobs/migrations.js';
import { WORKER_PROTOCOL } from '../jobs/remote/protocol.js';
import { TOONLORA_VERSION } from '../version.js';

/** The numbers `toonlora --version` names. */
export const VERSION_FACTS = {
  toonlora: TOONLORA_VERSION,
  workerProtocol: WORKER_PROTOCOL,
  dataSchema: MIGRATIONS.length,
} as const;

/** `toonlora 0.1.0 (worker protocol 1, data schema 7)`. */
export function versionLine(): string {
  const { toonlora, workerProtocol, dataSchema } = VERSION_FACTS;
  return `toonlora ${toonlora} (worker protocol ${workerProtocol}, data schema ${dataSchema})`;
}

/** Whether argv asks for the version as JSON: `--version --json` (or `-V`), nothing else. */
export function wantsJsonVersion(argv: readonly string[]): boolean {
  return argv.length === 2 && argv.includes('--json') && (argv.includes('--version') || argv.includes('-V'));
}

// src/version.ts — toonlora's version, read once from package.json: what `toonlora --version` prints and the
// OpenAPI document's info.version. Imported by both, so neither the server nor the CLI loads the other.
import { readFileSync } from 'node:fs';

/** package.json's version, so the CLI, the API and the package never drift apart. */
export const TOONLORA_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

// test/helpers/sandbox-home.ts — vitest globalSetup: the whole run sees a fresh empty HOME, and none of the path
// variables that move toonlora's home or the Hugging Face caches (HOME_VARS), so a test that builds an app or runs
// the CLI without a home of its own writes into this sandbox, never into the user's ~/.cache/toonlora. At teardown a
// file left in the sandbox fails the run, named: it would have landed in the real home (give that test a home of its
// own: tempModelCache, emptyModelHomes). New files in the real homes are named too, as a warning (another toonlora
// process, a server or another run, may be writing there at the same time).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { hfHubCacheFor, PATH_ENV_VARS, toonloraHomeFor } from '../../src/models/cache-paths.js';

/** The variables that move a home off HOME: every PATH_ENV_VARS one but the venv's (tests run its Python), and the HF token's. */
const HOME_VARS = [...PATH_ENV_VARS.filter((name) => name !== 'TOONLORA_VENV'), 'HF_TOKEN_PATH'];

/** Files (not folders) under `root`, relative to it, with their mtimes; at most `limit`. */
export function filesUnder(root: string, limit = 50_000): Map<string, number> {
  const found = new Map<string, number>();
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (found.size >= limit) return;
      const path = join(dir, name);
      try {
        const stat = statSync(path, { throwIfNoEntry: false });
        if (stat?.isDirectory()) walk(path);
        else if (stat) found.set(relative(root, path), stat.mtimeMs);
      } catch {
        // gone meanwhile
      }
    }
  };
  walk(root);
  return found;
}

/** Tools' own files under HOME, not toonlora's: npm's log and update check when a test runs `npx`. */
const TOOL_FILES = /^\.npm\//;

/** The files a run left in the sandbox HOME that are not a tool's own, sorted. */
export function leftInSandbox(sandbox: string): string[] {
  return [...filesUnder(sandbox).keys()].filter((path) => !TOOL_FILES.test(path)).sort();
}

/** The real homes toonlora and its worker write: toonlora's home, the HF hub cache. */
function realHomes(env: NodeJS.ProcessEnv, home: string): string[] {
  return [toonloraHomeFor(env, home), hfHubCacheFor(env, home)];
}

/** Files in `before`'s homes now that are new or changed since. */
function changedSince(before: Map<string, Map<string, number>>): string[] {
  const changed: string[] = [];
  for (const [root, files] of before) {
    for (const [path, mtime] of filesUnder(root)) {
      if (files.get(path) !== mtime) changed.push(join(root, path));
    }
  }
  return changed.sort();
}

export default function sandboxHome(): () => void {
  const before = new Map(realHomes(process.env, homedir()).map((root) => [root, filesUnder(root)]));
  const sandbox = mkdtempSync(join(tmpdir(), 'toonlora-test-home-'));
  process.env.HOME = sandbox; // os.homedir() reads it; the forks inherit this environment
  for (const name of HOME_VARS) delete process.env[name];
  return () => {
    const left = leftInSandbox(sandbox);
    const real = changedSince(before);
    if (real.length > 0) {
      console.warn(
        `files new or changed in the real toonlora / Hugging Face homes during this run (a test bypassing HOME, or another toonlora process):\n  ${real.join('\n  ')}`,
      );
    }
    rmSync(sandbox, { recursive: true, force: true });
    if (left.length > 0) {
      throw new Error(
        `tests wrote into the default home (without this run's sandbox HOME, the user's real one): ${left.length} file(s):\n  ${left.join('\n  ')}\nGive the test its own home: tempModelCache(...) for buildApp's modelCache, emptyModelHomes(...) or TOONLORA_HOME / HF_HOME for a CLI process.`,
      );
    }
  };
}

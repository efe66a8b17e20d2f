// test/helpers/sandbox-home.ts — vitest globalSetup: the whole run sees a fresh empty HOME, and none of the path
// variables that move toonlora's home or the Hugging Face caches (HOME_VARS), so a test that builds an app or runs
// the CLI without a home of its own writes into this sandbox, never into the user's ~/.cache/toonlora. At teardown a
// file left in the sandbox's toonlora, Hugging Face or rembg home fails the run, named: it would have landed in the real
// one (give that test a home of its own: tempModelCache, emptyModelHomes); other files left there are named. New files in the real homes are named too, as a warning (another toonlora
// process, a server or another run, may be writing there at the same time).
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { hfHubCacheFor, PATH_ENV_VARS, toonloraHomeFor, userCacheDir } from '../../src/models/cache-paths.js';

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

/**
 * The files a run left in the sandbox HOME, sorted: `homes`, those in the homes toonlora and its worker write by
 * default (toonlora's, the Hugging Face cache, rembg's: what would have landed in the user's real ones), and `other`
 * files (a tool's own: npm's log, a browser's crash reports).
 */
export function leftInSandbox(sandbox: string): { homes: string[]; other: string[] } {
  const homes = [
    toonloraHomeFor({}, sandbox),
    join(userCacheDir({}, sandbox), 'huggingface'),
    join(sandbox, '.u2net'),
  ];
  const left = [...filesUnder(sandbox).keys()].sort();
  const inHomes = (path: string) =>
    homes.some((home) => !relative(home, join(sandbox, path)).startsWith('..'));
  return { homes: left.filter(inHomes), other: left.filter((path) => !inHomes(path)) };
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
    const { homes: left, other } = leftInSandbox(sandbox);
    const real = changedSince(before);
    const tools = other.filter((path) => !path.startsWith('.npm/')); // npm's log: the outer `npx vitest`
    if (tools.length > 0)
      console.warn(`files tests left in the sandbox HOME (not toonlora's):\n  ${tools.join('\n  ')}`);
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

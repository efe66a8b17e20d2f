// src/models/snapshot-files.ts — which files of a multi-file Hugging Face repo a pull fetches (pure):
// fnmatch-style allow / ignore globs as huggingface_hub applies them, and diffusers' rule of taking
// `.safetensors` weights over `.bin` / `.ckpt` copies in the same folder.
import type { SnapshotRule } from './registry.js';

/** fnmatch-like glob -> RegExp: `*` any run of characters (`/` included, as fnmatch), `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '.*';
    else if (char === '?') source += '.';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function matchesAny(path: string, globs: readonly string[]): boolean {
  return globs.some((glob) => globToRegExp(glob).test(path));
}

const SUPERSEDED_WEIGHTS = /\.(bin|ckpt|pt|pth)$/;

function folderOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}

/**
 * The repo paths to fetch, sorted: allowed by `rule.allow`, not matched by `rule.ignore`, and with
 * `preferSafetensors`, no `.bin` / `.ckpt` / `.pt` in a folder that has a `.safetensors` file.
 */
export function selectSnapshotFiles(repoPaths: readonly string[], rule: SnapshotRule): string[] {
  const kept = repoPaths.filter((path) => matchesAny(path, rule.allow) && !matchesAny(path, rule.ignore));
  if (!rule.preferSafetensors) return [...kept].sort();
  const foldersWithSafetensors = new Set(
    kept.filter((path) => path.endsWith('.safetensors')).map((path) => folderOf(path)),
  );
  return kept
    .filter((path) => !(SUPERSEDED_WEIGHTS.test(path) && foldersWithSafetensors.has(folderOf(path))))
    .sort();
}

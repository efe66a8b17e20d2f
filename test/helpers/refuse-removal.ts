// test/helpers/refuse-removal.ts — makes a file that cannot be removed, or a folder that cannot be renamed, as a user's
// `chattr +i` does: with chattr as root (root ignores permissions), else by taking the write permission off the
// folder that holds it. Each returns the undo, or undefined where neither works (root on a file system without the
// flag): the tests that need it run only where `canRefuseRemoval()`.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const isRoot = process.getuid?.() === 0;

/** Undoes a refusal; `movedTo`: where the path is now, when a folder above it was renamed since. */
export type UndoRefusal = (movedTo?: string) => void;

/** Takes writes away from the folder holding `path` (chmod 0555); the undo puts its mode back. */
function lockFolder(path: string): UndoRefusal {
  const mode = statSync(dirname(path)).mode & 0o777;
  chmodSync(dirname(path), 0o555);
  return (movedTo = path) => chmodSync(dirname(movedTo), mode);
}

/** `chattr +i path`, or undefined where it fails; the undo is `chattr -i`. */
function immutable(path: string): UndoRefusal | undefined {
  try {
    execFileSync('chattr', ['+i', path], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return (movedTo = path) => execFileSync('chattr', ['-i', movedTo], { stdio: 'ignore' });
}

/** The file at `path` cannot be removed (EPERM as root, EACCES otherwise) until the undo runs. */
export function refuseFileRemoval(path: string): UndoRefusal | undefined {
  return isRoot ? immutable(path) : lockFolder(path);
}

/** The folder at `path` cannot be renamed until the undo runs. */
export function refuseFolderRename(path: string): UndoRefusal | undefined {
  return isRoot ? immutable(path) : lockFolder(path);
}

/** Whether this machine can make a file that cannot be removed (tried once on a temporary file). */
export function canRefuseRemoval(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'toonlora-refuse-probe-'));
  const file = join(dir, 'probe');
  writeFileSync(file, '');
  const undo = refuseFileRemoval(file);
  undo?.();
  rmSync(dir, { recursive: true, force: true });
  return undo !== undefined;
}

// src/lora/adapter-links.ts — a PEFT output folder's adapter files that are the user's symlinks
// (adapter_model.safetensors linked to a shared store, say): `convert --to peft --overwrite` replaces
// the folder as a whole, so each such link is written through — the file it names gets the new
// contents, the new folder gets the same link — as a symlink given as `-o` is. A link this conversion
// has no file for, or one that leads to something it cannot replace, is refused before anything is
// written, naming the link, where it leads and what to do.
import { lstat, readlink, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { ToonloraError } from '../errors.js';
import { ADAPTER_FILES, resolveOutputTarget, TEXT_ENCODER_FOLDER } from './output-checks.js';

/** A symlinked adapter file: the link's own text (kept as it is in the new folder) and the file it leads to. */
export interface AdapterLink {
  readonly text: string;
  readonly target: string;
}

/** Relative paths where a PEFT folder may hold an adapter file. */
function adapterFilePaths(): string[] {
  const names = [...ADAPTER_FILES];
  return [...names, ...names.map((name) => `${TEXT_ENCODER_FOLDER}/${name}`)];
}

function refuse(folder: string, rel: string, why: string, fix: string): ToonloraError {
  return new ToonloraError(
    'TL_ERR_OUTPUT_EXISTS',
    `${join(folder, rel)}: is a symlink ${why}; --overwrite replaces the adapter folder as a whole, so nothing was written or deleted. ${fix}`,
    { details: { file: join(folder, rel) } },
  );
}

/** Why the file a link leads to cannot be replaced by a rename beside it, or undefined when it can. */
async function unreplaceable(folder: string, target: string): Promise<string | undefined> {
  if (target.startsWith(resolve(folder) + sep)) return 'inside the folder being replaced';
  const info = await stat(target).catch(() => undefined);
  if (info && !info.isFile()) return 'not a regular file';
  const parent = await stat(dirname(target)).catch(() => undefined);
  return parent?.isDirectory() ? undefined : `in a folder that does not exist (${dirname(target)})`;
}

/**
 * The adapter files of `folder` (an existing PEFT output folder, links already followed to it) that
 * are symlinks, by relative path. `written`: the relative paths this conversion writes.
 * @throws TL_ERR_OUTPUT_EXISTS for a link at a path not in `written` (replacing the folder would
 *   delete it, leaving the file it names stale), a link to a folder, FIFO or device, to a file inside
 *   `folder`, into a missing folder, or two links to one file; TL_ERR_USAGE for a loop of links.
 */
export async function adapterFileLinks(
  folder: string,
  written: readonly string[],
): Promise<Map<string, AdapterLink>> {
  const links = new Map<string, AdapterLink>();
  for (const rel of adapterFilePaths()) {
    const path = join(folder, rel);
    if (!(await lstat(path).catch(() => undefined))?.isSymbolicLink()) continue;
    const text = await readlink(path);
    const target = await resolveOutputTarget(path);
    const to = `(to ${target})`;
    if (!written.includes(rel)) {
      throw refuse(
        folder,
        rel,
        `${to}, and this conversion writes no ${rel} (its input has no such part)`,
        'Remove the link (the file it names stays) or choose another -o.',
      );
    }
    const why = await unreplaceable(folder, target);
    if (why)
      throw refuse(folder, rel, `${to} ${why}`, 'Point the link at a file, remove it, or choose another -o.');
    const twin = [...links].find(([, link]) => link.target === target);
    if (twin)
      throw refuse(folder, rel, `${to}, as ${twin[0]} is`, 'Remove one of the links or choose another -o.');
    links.set(rel, { text, target });
  }
  return links;
}

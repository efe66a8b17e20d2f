// src/lora/output-checks.ts — checks on convert's output path before anything is written: the
// parent folder exists, a file output is not a folder (nor a path ending in `/`), a symlink is
// followed to the file or folder it names (written through, never replaced), a FIFO, device or socket
// is refused, and `--overwrite` of a PEFT folder only ever replaces a folder that holds nothing but
// adapter files (never the user's own files); the writers' temp path, and their file-system errors
// as TL_ERR_OUTPUT_WRITE naming -o (never a temp path).
import type { Dirent, Stats } from 'node:fs';
import { lstat, readdir, readlink, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { diskFullCause, diskFullFailure } from '../disk-full.js';
import { ToonloraError } from '../errors.js';
import { makeFolders, nearestExisting } from '../output-folder.js';

/** Entries a PEFT adapter folder written by convert / the trainer holds; text_encoder/ holds the same files. */
export const ADAPTER_FILES: ReadonlySet<string> = new Set([
  'adapter_model.safetensors',
  'adapter_config.json',
]);
export const TEXT_ENCODER_FOLDER = 'text_encoder';
/** Bytes a file name may have (ext4, XFS, APFS, NTFS: 255). */
const MAX_NAME_BYTES = 255;
/** Links followed before giving up (Linux's MAXSYMLINKS). */
const MAX_LINKS = 40;
/** Trailing path separators: `/`, and on Windows `\\` too. */
const TRAILING_SEPARATORS = sep === '\\' ? /[\\/]+$/ : /\/+$/;

async function statOrUndefined(path: string) {
  return stat(path).catch(() => undefined);
}

/** `path` without trailing separators (`/tmp/out/` -> `/tmp/out`; `/` stays). */
export function withoutTrailingSlash(path: string): string {
  const trimmed = path.replace(TRAILING_SEPARATORS, '');
  return trimmed === '' ? path.slice(0, 1) : trimmed;
}

/**
 * The path a write to `path` lands on: `path` itself, or when it is a symlink, the file or folder it
 * names (links followed to the end; the last may not exist yet). Writers put their temp file beside
 * it and rename onto it, so the link is kept and its target replaced.
 * @throws TL_ERR_USAGE for a loop of links.
 */
export async function resolveOutputTarget(path: string): Promise<string> {
  let current = withoutTrailingSlash(path);
  for (let links = 0; links <= MAX_LINKS; links++) {
    const info = await lstat(current).catch(() => undefined);
    if (!info?.isSymbolicLink()) return current;
    current = resolve(dirname(current), await readlink(current));
  }
  throw new ToonloraError(
    'TL_ERR_USAGE',
    `-o ${path}: is a symlink that leads to more than ${MAX_LINKS} links (a loop?); nothing was written. Choose another -o.`,
    { details: { file: path } },
  );
}

/** What a non-regular file is, in words. */
function fileType(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Throws TL_ERR_USAGE when `target` (what `output` resolves to) exists and is neither a regular file
 * nor a folder: a FIFO, device or socket is never replaced by, nor written into by, an output file.
 */
export async function assertNotSpecialFile(output: string, target: string): Promise<void> {
  const info = await statOrUndefined(target);
  if (!info || info.isFile() || info.isDirectory()) return;
  const via = target === withoutTrailingSlash(output) ? '' : ` (a symlink to ${target})`;
  throw new ToonloraError(
    'TL_ERR_USAGE',
    `-o ${output}${via}: is ${fileType(info)}, not a regular file or folder; convert writes a new file and renames it into place, so it never writes to one. Nothing was written. Choose another -o.`,
    { details: { file: output, target } },
  );
}

/**
 * Throws TL_ERR_USAGE when the output's parent folder is missing or not a folder (for a symlink:
 * its target's), when it is a FIFO, device or socket, or when a file output (`kind` 'file') names an
 * existing folder or ends in `/`.
 */
export async function assertOutputPath(output: string, kind: 'file' | 'folder'): Promise<void> {
  const folderHint = `nothing was written. Give a file path (e.g. ${join(output, 'lora.safetensors')}).`;
  if (kind === 'file' && TRAILING_SEPARATORS.test(output)) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `-o ${output}: ends in "/", so it names a folder, but this format is written as one .safetensors file; ${folderHint}`,
      { details: { file: output } },
    );
  }
  const target = await resolveOutputTarget(output);
  const parent = dirname(resolve(target));
  const parentInfo = await statOrUndefined(parent);
  const existing = parentInfo ? parent : nearestExisting(parent);
  if (!(await statOrUndefined(existing))?.isDirectory()) {
    // as train says it: `-o afile/x.safetensors` under a file is no folder to create
    const why = existing === parent ? 'is a file, not a folder' : 'is a file, so no folder can be made in it';
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `-o ${output}: ${existing} ${why}; nothing was written. Choose another -o.`,
      { details: { file: output, folder: existing } },
    );
  }
  if (!parentInfo?.isDirectory()) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `-o ${output}: the folder ${parent} does not exist; nothing was written. Create it first or choose another -o.`,
      { details: { file: output, folder: parent } },
    );
  }
  await assertNotSpecialFile(output, target);
  if (kind === 'file' && (await statOrUndefined(target))?.isDirectory()) {
    throw new ToonloraError(
      'TL_ERR_USAGE',
      `-o ${output}: is a folder, but this format is written as one .safetensors file; ${folderHint}`,
      { details: { file: output } },
    );
  }
}

/**
 * Makes the missing folders above `output` (convert's -o, as train and generate make theirs), only where the
 * nearest existing one is a folder (else {@link assertOutputPath} names the file in the way).
 * @returns the folders made, top first, for {@link removeMadeFolders} when the conversion then fails
 */
export async function makeOutputParent(output: string): Promise<string[]> {
  const parent = dirname(resolve(await resolveOutputTarget(output)));
  const existing = nearestExisting(parent);
  if (existing === parent || !(await statOrUndefined(existing))?.isDirectory()) return [];
  const missing: string[] = [];
  for (let at = parent; at !== existing; at = dirname(at)) missing.unshift(at);
  await makeFolders(parent); // a level that cannot be made: assertOutputPath says the folder does not exist
  return missing;
}

/** Removes the folders {@link makeOutputParent} made, deepest first, each only while it is still empty. */
export async function removeMadeFolders(folders: readonly string[]): Promise<void> {
  for (const folder of [...folders].reverse()) {
    if (
      !(await rmdir(folder).then(
        () => true,
        () => false,
      ))
    )
      return;
  }
}

/**
 * A hidden temp path beside `target` (same folder, so the final rename is atomic), unique to this
 * process and moment; the target's name is shortened when the temp name would pass 255 bytes.
 */
export function tempPathBeside(target: string): string {
  const suffix = `.${process.pid}.${Date.now()}.part`;
  let name = [...basename(target)];
  while (name.length > 1 && Buffer.byteLength(`.${name.join('')}${suffix}`) > MAX_NAME_BYTES)
    name = name.slice(0, -1);
  return join(dirname(target), `.${name.join('')}${suffix}`);
}

/** System calls of the writing side: their errors are the output's (a `read` error is the input's). */
const WRITE_SYSCALLS = new Set(['open', 'write', 'close', 'rename', 'mkdir', 'unlink', 'rmdir', 'fsync']);

/**
 * A file-system error met while writing `output` (no space, no permission, a name too long, ...) as
 * TL_ERR_OUTPUT_WRITE naming the path and the cause; a full disk is one whichever call met it, also wrapped as a
 * `cause`. Other errors are returned as they are.
 */
export function asOutputWriteError(error: unknown, output: string): unknown {
  const errno = error as NodeJS.ErrnoException;
  if (error instanceof ToonloraError || !(error instanceof Error)) return error;
  const full = diskFullFailure(error);
  if (!full && !WRITE_SYSCALLS.has(errno.syscall ?? '')) return error;
  // Node's message ends with the call and its path (`, open '/x/.out.123.part/...'`): a temp path of ours, not -o
  const cause = full
    ? `: ${diskFullCause(full.code)}`
    : ` (${errno.message.replace(/, \w+ '[^']*'( -> '[^']*')?$/, '')})`;
  return new ToonloraError(
    'TL_ERR_OUTPUT_WRITE',
    `-o ${output}: cannot be written${cause}; nothing was written or replaced.`,
    { cause: error, details: { file: output, errno: full?.code ?? errno.code } },
  );
}

/** An entry as a foreign-entry name: an adapter file's name that is a FIFO, ... says so. */
function foreignName(entry: Dirent, prefix: string): string {
  const name = `${prefix}${entry.name}`;
  if (!ADAPTER_FILES.has(entry.name) || entry.isDirectory()) return name;
  return entry.isFile() ? name : `${name} (not a regular file)`;
}

/**
 * An adapter file of the folder: a regular file, or a symlink, which the writer writes through
 * (adapter-links.ts checks where it leads once the files to write are known).
 */
function isAdapterFile(entry: Dirent): boolean {
  return ADAPTER_FILES.has(entry.name) && (entry.isFile() || entry.isSymbolicLink());
}

/** Entries of `folder` (relative paths) that are not adapter files; text_encoder/ is looked into. */
async function foreignEntries(folder: string): Promise<string[]> {
  const foreign: string[] = [];
  for (const entry of await readdir(folder, { withFileTypes: true })) {
    if (isAdapterFile(entry)) continue;
    if (entry.isDirectory() && entry.name === TEXT_ENCODER_FOLDER) {
      for (const inner of await readdir(join(folder, entry.name), { withFileTypes: true })) {
        if (!isAdapterFile(inner)) foreign.push(foreignName(inner, `${TEXT_ENCODER_FOLDER}/`));
      }
      continue;
    }
    foreign.push(foreignName(entry, ''));
  }
  return foreign.sort();
}

/**
 * Throws TL_ERR_OUTPUT_EXISTS unless `output` is absent or a folder of adapter files only
 * (adapter_model.safetensors, adapter_config.json, text_encoder/ with the same; each may be a
 * symlink, written through), the only kind of folder `--overwrite` may delete.
 */
export async function assertReplaceableAdapterFolder(output: string): Promise<void> {
  const info = await statOrUndefined(output);
  if (!info) return;
  const foreign = info.isDirectory() ? await foreignEntries(output) : [];
  if (info.isDirectory() && foreign.length === 0) return;
  const what = info.isDirectory()
    ? `holds files that are not adapter files (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? `, and ${foreign.length - 5} more` : ''})`
    : 'is a file, not an adapter folder';
  throw new ToonloraError(
    'TL_ERR_OUTPUT_EXISTS',
    `${output}: ${what}; --overwrite only replaces a folder of adapter files (adapter_model.safetensors, adapter_config.json, text_encoder/), so nothing was written or deleted. Choose another -o or move those files.`,
    { details: { file: output, foreign } },
  );
}

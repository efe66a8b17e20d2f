// src/models/offline-hint.ts — what a pull that cannot reach the Hub tells the user to do by hand: the
// `hf download` command (huggingface_hub 1.x+ ships only `hf`) with the registry's own file filters, and
// the folder to copy the result into. Pure: values in, a sentence out.
import type { HuggingFaceSource } from './registry.js';

function quoted(pattern: string): string {
  return `'${pattern}'`;
}

/**
 * The `hf download` command that fetches what a pull of `source` fetches: the snapshot rule's allow globs as
 * `--include`, its ignore globs as `--exclude`, the pinned revision unless `main`.
 */
export function hfDownloadCommand(source: HuggingFaceSource): string {
  const revision = source.revision === 'main' ? [] : ['--revision', source.revision];
  const filters = source.snapshot
    ? [
        ...source.snapshot.allow.flatMap((glob) => ['--include', quoted(glob)]),
        ...source.snapshot.ignore.flatMap((glob) => ['--exclude', quoted(glob)]),
      ]
    : source.files.map((file) => file.path);
  return ['hf', 'download', source.repo, ...revision, ...filters].join(' ');
}

/**
 * The sentence a failed snapshot listing ends with: the command to run on a machine with network, the
 * files that can be left out, and `manualDir` to copy them into (where `models list` then finds them).
 */
export function offlineSnapshotHint(source: HuggingFaceSource, manualDir: string): string {
  const skip = source.snapshot?.preferSafetensors
    ? ' (where a folder has .safetensors weights, its .bin / .ckpt copies are not needed)'
    : '';
  return (
    `Without network, run \`${hfDownloadCommand(source)} --local-dir <folder>\` on another machine${skip} ` +
    `and copy that folder's files into ${manualDir}`
  );
}

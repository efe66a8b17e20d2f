// src/vision/text-sniff.ts — which kind of text file a buffer holds, from its first bytes (pure), for a binary
// file (a LoRA, a base model) that turns out to be one: a Git LFS pointer (what a clone without git-lfs leaves in
// place of the file) or an HTML page (a download that saved the web page instead of the file).

/** How many first bytes textFileKind reads: enough for the LFS pointer's first line and a page's doctype. */
export const TEXT_SNIFF_BYTES = 64;

/** A text file given where a binary one belongs. */
export type TextFileKind = 'git-lfs-pointer' | 'html-page';

const LFS_POINTER = 'version https://git-lfs.github.com/spec/';

/** `git-lfs-pointer` / `html-page` when the first bytes are one (a BOM and leading white space skipped), else undefined. */
export function textFileKind(head: Uint8Array): TextFileKind | undefined {
  const text = Buffer.from(head.subarray(0, TEXT_SNIFF_BYTES))
    .toString('latin1')
    .replace(/^\xef\xbb\xbf/, '')
    .trimStart();
  if (text.startsWith(LFS_POINTER)) return 'git-lfs-pointer';
  if (/^<(!doctype html|html[\s>]|head[\s>])/i.test(text)) return 'html-page';
  return undefined;
}

/** What a message says a text file of `kind` is, and what to do instead. */
export function textFileText(kind: TextFileKind): string {
  return kind === 'git-lfs-pointer'
    ? 'a Git LFS pointer, not the file (run git lfs pull, or download the file)'
    : 'an HTML page (a download that saved a web page), not the file';
}

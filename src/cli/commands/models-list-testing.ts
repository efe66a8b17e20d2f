// src/cli/commands/models-list-testing.ts — for the tests of `toonlora models list`: a model's row read back as one
// line, whatever width the table was fitted to (models-table.ts wraps a cell, or puts it under the row).

/**
 * The text of `models list`'s line that `start` matches and of the indented lines under it (its cells wrapped or put
 * under the row to fit the width), read back as one line; '' when no line matches.
 */
export function listedText(stdout: string, start: RegExp): string {
  const lines = stdout.split('\n');
  const first = lines.findIndex((line) => start.test(line));
  if (first < 0) return '';
  const end = lines.findIndex((line, i) => i > first && !line.startsWith(' '));
  const block = lines.slice(first, end < 0 ? undefined : end);
  return block.map((line, i) => (i === 0 ? line : line.trim())).join(' ');
}

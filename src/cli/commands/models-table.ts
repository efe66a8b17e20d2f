// src/cli/commands/models-table.ts — `models list`'s table fitted to the terminal's width (pure): the last column
// (a model's path, or what is lost without it) wraps beside the others when it has room, else goes under its row,
// indented; columns before it follow it under the row while the row is still too wide. Words are never cut: a path
// or a command longer than the room is on a line of its own, whole, even when that line is wider than the terminal.

/** The width when stdout is no terminal (piped, redirected) or does not say its columns. */
export const DEFAULT_COLUMNS = 100;

/** The width to fit: the terminal's columns, DEFAULT_COLUMNS when stdout is no terminal or does not say. */
export function outputColumns(stream: { isTTY?: boolean; columns?: number }): number {
  return stream.isTTY && stream.columns && stream.columns > 0 ? stream.columns : DEFAULT_COLUMNS;
}

/** The fewest characters the last column wraps in beside the others; with less room it goes under its row. */
const MIN_LAST_COLUMN = 40;
/** What a row's text under it is indented by (and a path too long for the last column's room). */
const UNDER_INDENT = '    ';
/** Spaces between columns. */
const GAP = '  ';

/**
 * `text`'s words in lines of at most `width` characters (`restWidth` after the first), broken at spaces; a word
 * longer than that (a path, a command) is a line of its own, whole.
 */
export function wrapWords(text: string, width: number, restWidth = width): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > (lines.length === 0 ? width : restWidth)) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return line ? [...lines, line] : lines;
}

/** Each column's width: its widest cell, header included. */
function columnWidths(header: readonly string[], rows: readonly (readonly string[])[]): number[] {
  return header.map((name, i) => Math.max(name.length, ...rows.map((row) => (row[i] ?? '').length)));
}

/** The width of the first `count` columns laid out side by side. */
function widthOf(widths: readonly number[], count: number): number {
  return widths.slice(0, count).reduce((sum, width) => sum + width, 0) + GAP.length * (count - 1);
}

/** The first `count` cells padded to their columns, side by side. */
function sideBySide(cells: readonly string[], widths: readonly number[], count: number): string {
  return cells
    .slice(0, count)
    .map((cell, i) => cell.padEnd(widths[i] as number))
    .join(GAP);
}

/**
 * A row with its last cell wrapped beside the others in `room` characters (continuation lines under its start); a
 * word too long for the room on its own line, indented, as text under a row is.
 */
function rowBeside(cells: readonly string[], widths: readonly number[], room: number): string[] {
  const last = cells.length - 1;
  const lead = sideBySide(cells, widths, last);
  const lines = [lead];
  for (const [i, piece] of wrapWords(cells[last] ?? '', room).entries()) {
    if (piece.length > room) lines.push(`${UNDER_INDENT}${piece}`);
    else if (i === 0) lines[0] = `${lead}${GAP}${piece}`;
    else lines.push(`${' '.repeat(lead.length + GAP.length)}${piece}`);
  }
  return lines.map((line) => line.trimEnd());
}

/** A row's first `kept` cells side by side, then each other cell under it, indented and wrapped to `columns`. */
function rowOver(
  cells: readonly string[],
  widths: readonly number[],
  kept: number,
  columns: number,
): string[] {
  const under = cells
    .slice(kept)
    .filter((cell) => cell !== '')
    .flatMap((cell) =>
      wrapWords(cell, columns - UNDER_INDENT.length).map((piece) => `${UNDER_INDENT}${piece}`),
    );
  return [sideBySide(cells, widths, kept).trimEnd(), ...under];
}

/**
 * The table's lines, fitted to `columns`: side by side with the last column wrapped when it has MIN_LAST_COLUMN
 * characters of room; else the most leading columns that fit (the first two at least) side by side and the others
 * under each row, indented, one per line; the header laid out as its rows are.
 */
export function fitTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  columns: number,
): string[] {
  const widths = columnWidths(header, rows);
  const last = header.length - 1;
  const room = columns - widthOf(widths, last) - GAP.length;
  if (room >= MIN_LAST_COLUMN) {
    return [
      sideBySide(header, widths, header.length).trimEnd(),
      ...rows.flatMap((row) => rowBeside(row, widths, room)),
    ];
  }
  let kept = last;
  while (kept > 2 && widthOf(widths, kept) > columns) kept -= 1;
  return [header, ...rows].flatMap((row) => rowOver(row, widths, kept, columns));
}

/** Notes under the table, each wrapped to `columns` with its continuation lines indented by two. */
export function fitNotes(notes: readonly string[], columns: number): string[] {
  return notes.flatMap((note) =>
    wrapWords(note, columns, columns - 2).map((piece, i) => (i === 0 ? piece : `  ${piece}`)),
  );
}

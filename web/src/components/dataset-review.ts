// web/src/components/dataset-review.ts — the Dataset page's text rules (pure): a caption as typed (one line,
// Enter separates tags) and as saved (no dangling separator), and a skipped file's reason without the
// file name the page already shows.

/** The caption as the textarea keeps it: Enter (a line break) becomes the tag separator ", ". */
export function captionFromInput(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ', ');
}

/** The caption to save: trimmed, without leading or trailing separators (a last Enter leaves ", "). Empty
 * means the folder's `<trigger> <class>`. */
export function captionToSave(text: string): string {
  return text.replace(/^[\s,]+|[\s,]+$/g, '');
}

/** `reason` without a leading "<file name>: " (prep names its stored copy, e.g. `001-white.png` for the
 * upload `white.png`; the list shows the name beside the reason). */
export function skippedReasonText(source: string, reason: string): string {
  const name = source.split('/').pop() ?? source;
  const match = /^([^:]+): /.exec(reason);
  const prefixName = match?.[1]?.split('/').pop() ?? '';
  return match && prefixName.endsWith(name) ? reason.slice(match[0].length) : reason;
}

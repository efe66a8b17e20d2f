// web/src/components/dataset-review.ts — the Dataset page's text rules (pure): a caption as typed (one line,
// Enter separates tags) and as saved (no dangling separator), and a skipped file's reason without the
// file name the page already shows; the warning for a caption that does not start with the trigger word.
import { CAPTION_MAX_LENGTH } from '../../../src/schemas/api.js';

/** The longest caption the API takes (the textarea's maxLength). */
export const CAPTION_MAX = CAPTION_MAX_LENGTH;

/**
 * A warning when a caption (as it would be saved) does not start with the character's trigger word: kohya
 * trains that image without it. Empty is fine (it trains as `<trigger> <class>`).
 */
export function captionTriggerWarning(caption: string, trigger: string): string | null {
  const text = captionToSave(caption);
  const word = trigger.trim();
  if (!text || !word) return null;
  const first = text.split(',')[0]?.trim() ?? '';
  if (first === word || first.split(/\s+/)[0] === word) return null;
  return `This caption does not start with the trigger word ${word}: the image trains without it. Put "${word}, " first.`;
}

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

/**
 * What a screen reader names an item's images and buttons by: each with the item's file name, since every
 * item has the same four stages and the same buttons ("Save caption" alone does not say which item).
 */
export function itemAccessibleNames(
  fileName: string,
  excluded: boolean,
): { stage: (label: string) => string; save: string; exclude: string } {
  return {
    stage: (label) => `${fileName}: ${label}`,
    save: `Save caption for ${fileName}`,
    exclude: `${excluded ? 'Re-include' : 'Exclude'} ${fileName}`,
  };
}

// web/src/components/metadata-format.ts — a LoRA's metadata values as the Metadata panel shows them (pure):
// sizes with a unit, numbers to 4 significant digits, lists and objects (also kohya's JSON-in-a-string
// `ss_*` values) as short readable lists, and nothing for an empty one.
import { formatBytes } from '../../../src/format-bytes.js';

/** How many entries of a list or object are shown before "… (N more)". */
const MAX_ENTRIES = 8;

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/** A list's text, shortened after MAX_ENTRIES. */
function joinShort(parts: string[], separator: string): string {
  const shown = parts.slice(0, MAX_ENTRIES).join(separator);
  return parts.length > MAX_ENTRIES ? `${shown}${separator}… (${parts.length - MAX_ENTRIES} more)` : shown;
}

/**
 * The text of metadata `value` under `key`; null when there is nothing to show (null, an empty list, an
 * empty object or string). A key naming bytes (`sizeBytes`) gets a unit, as `toonlora inspect` prints it (`151 MB`).
 */
export function formatMetaValue(key: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return /bytes$/i.test(key) ? formatBytes(value) : formatNumber(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    if (/^[[{]/.test(text)) {
      try {
        return formatMetaValue(key, JSON.parse(text));
      } catch {
        return value; // not JSON after all
      }
    }
    return value;
  }
  if (Array.isArray(value)) {
    const parts = value.map((v) => formatMetaValue('', v)).filter((v): v is string => v !== null);
    return parts.length > 0 ? joinShort(parts, ', ') : null;
  }
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => {
        const text = formatMetaValue(k, v);
        return text === null ? null : `${k}: ${text}`;
      })
      .filter((v): v is string => v !== null);
    return parts.length > 0 ? joinShort(parts, '; ') : null;
  }
  return String(value);
}

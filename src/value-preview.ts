// src/value-preview.ts — how an error message shows a value the user gave: its first characters as JSON, invisible
// characters escaped. Shared by the API's 400s (src/server/route-schema.ts) and config-file errors
// (src/config/load-config.ts), so neither layer imports the other for it.

/** How much of an offending value a 400 echoes. */
const PREVIEW_CHARS = 60;

/** What JSON.stringify leaves raw but a message must not: DEL and C1 controls, format characters (zero-width,
 * bidi overrides, soft hyphen, BOM) and line / paragraph separators; each UTF-16 unit becomes `\uXXXX`. */
const UNSEEN_CHARS = /[\u007f-\u009f\p{Cf}\u2028\u2029]/gu;

/** `text` as a JSON string with the characters JSON leaves raw but a reader cannot see escaped too. */
function quoted(text: string): string {
  return JSON.stringify(text).replace(UNSEEN_CHARS, (char) =>
    Array.from(
      { length: char.length },
      (_, i) => `\\u${char.charCodeAt(i).toString(16).padStart(4, '0')}`,
    ).join(''),
  );
}

/**
 * The first 60 characters of `value` as JSON, for an error message (invisible characters escaped): written only that far, so a value
 * nested 100 000 deep (which overflows JSON.stringify's stack) or a long one costs nothing; never throws.
 */
export function valuePreview(value: unknown, limit = PREVIEW_CHARS): string {
  let out = '';
  const write = (item: unknown): void => {
    if (out.length > limit) return;
    if (typeof item === 'string') out += quoted(item.slice(0, limit + 1));
    else if (Array.isArray(item)) {
      out += '[';
      for (let i = 0; i < item.length && out.length <= limit; i++) {
        if (i > 0) out += ',';
        write(item[i]);
      }
      out += ']';
    } else if (item !== null && typeof item === 'object') {
      out += '{';
      let first = true;
      for (const key in item) {
        if (out.length > limit) break;
        if (!Object.hasOwn(item, key)) continue;
        out += `${first ? '' : ','}${quoted(key.slice(0, limit + 1))}:`;
        first = false;
        write((item as Record<string, unknown>)[key]);
      }
      out += '}';
    } else if (typeof item === 'number' || typeof item === 'boolean' || item === null)
      out += JSON.stringify(item);
    else out += String(item);
  };
  try {
    write(value);
  } catch {
    return `(${typeof value})`;
  }
  return out.slice(0, limit);
}

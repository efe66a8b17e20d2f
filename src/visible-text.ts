// src/visible-text.ts — a user's file name (or a line naming one) made safe to show (pure, browser-safe): control
// characters (C0, DEL, C1: an ESC starts a terminal escape that can clear the screen or set the window title, a
// newline splits a line) and the bidirectional overrides (U+202E shows `exe.png` reversed) become visible escapes
// (`\e`, `\n`, `\u202E`). The CLI prints names through it and the web app shows them through it; JSON output
// needs neither (JSON.stringify escapes C0 controls, and a program reads it, not a person).

/** C0 controls, DEL, C1 controls, and the bidi marks, embeddings, overrides and isolates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/** Those of UNSAFE but the newline: for text whose line breaks are its own. */
const UNSAFE_BUT_NEWLINE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\u001b': '\\e',
};

function escapeChar(char: string): string {
  const short = SHORT_ESCAPES[char];
  if (short) return short;
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `evil\e[2J.png`: one line of text (a name, a reason naming one) with every unsafe character escaped. */
export function visibleText(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** As {@link visibleText}, keeping the text's own line breaks (a multi-line message). */
export function visibleLines(text: string): string {
  return text.replace(UNSAFE_BUT_NEWLINE, escapeChar);
}

// web/src/components/page-links.ts — a failure text's "the Models page" as a link to it (pure): the server words a
// job's fix for the web app (src/jobs/job-error-hints.ts: "pull it on the Models page", "Remove it on the Models
// page"), and the page the fix names is one click away. A remote worker's text names the worker's machine, no page.

/** A run of plain text, or the words that link to a page's hash route. */
export type TextPart = { readonly text: string; readonly href?: string };

/** The pages a failure text names, by the words it uses, and their hash routes (web/src/route.ts). */
const PAGE_LINKS: ReadonlyArray<readonly [string, string]> = [['Models page', '#/models']];

/** `text` cut into plain runs and links where it names a page of PAGE_LINKS (in order; `[]` for ''). */
export function linkPageNames(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let rest = text;
  for (;;) {
    const hits = PAGE_LINKS.map(([words, href]) => ({ at: rest.indexOf(words), words, href })).filter(
      (hit) => hit.at >= 0,
    );
    if (hits.length === 0) break;
    const first = hits.reduce((a, b) => (b.at < a.at ? b : a));
    if (first.at > 0) parts.push({ text: rest.slice(0, first.at) });
    parts.push({ text: first.words, href: first.href });
    rest = rest.slice(first.at + first.words.length);
  }
  if (rest) parts.push({ text: rest });
  return parts;
}

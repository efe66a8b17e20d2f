// web/src/components/linked-text.tsx — a text with the pages it names as links (page-links.ts): a job's failure,
// a warning that says to pull a model on the Models page.
import { linkPageNames } from './page-links.js';

export function LinkedText({ text }: { text: string }) {
  return (
    <>
      {linkPageNames(text).map((part, i) =>
        part.href ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one text, in order
          <a key={i} href={part.href}>
            {part.text}
          </a>
        ) : (
          part.text
        ),
      )}
    </>
  );
}

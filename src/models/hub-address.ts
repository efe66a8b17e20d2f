// src/models/hub-address.ts — a Hugging Face Hub page's address as users paste it (pure, no I/O; the web's Hub field
// imports it too): `https://huggingface.co/owner/name`, and with `/tree/<rev>`, `/blob/<rev>/<file>` or
// `/resolve/<rev>/<file>` the revision the page shows (a branch, tag or commit sha), which `models pull URL` and the
// Models page's Revision field then pull.

/** The repo id an address names and, when it shows one, its revision (`undefined`: main, none given). */
export interface HubAddress {
  repo: string;
  revision: string | undefined;
}

const HUB_PAGE =
  /^https?:\/\/(?:www\.)?huggingface\.co\/([\w.-]+\/[\w.-]+)(?:\/(?:tree|blob|resolve)\/([^/?#]+)[^?#]*)?\/?(?:[?#].*)?$/;

/** `decodeURIComponent` that gives the text back as it is when it is no valid escape. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The repo and revision of a pasted Hub address, or undefined when `text` (trimmed) is no huggingface.co address of
 * a repo. A revision is one path segment, URL-decoded (`refs%2Fpr%2F1` is `refs/pr/1`); the caller checks it.
 */
export function parseHubAddress(text: string): HubAddress | undefined {
  const match = HUB_PAGE.exec(text.trim());
  if (!match) return undefined;
  const revision = match[2] === undefined ? undefined : decoded(match[2]);
  return { repo: match[1] as string, revision };
}

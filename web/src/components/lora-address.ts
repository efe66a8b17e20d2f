// web/src/components/lora-address.ts — the LoRA page's address for one LoRA (`#/c/<characterId>/lora/<loraId>`),
// which "Open the LoRA" on a train job links to so that the page shows that job's LoRA, not the newest, and which
// LoRA the page shows for an address (the named one while it is listed; else the newest, saying the named one is
// gone). Pure.
import { hashParts } from '../route.js';

/** `#/c/<characterId>/lora`, or `#/c/<characterId>/lora/<loraId>` naming one LoRA. */
export function loraPageHref(characterId: string, loraId?: string | null): string {
  const page = `#/c/${characterId}/lora`;
  return loraId ? `${page}/${encodeURIComponent(loraId)}` : page;
}

/** The LoRA id a LoRA page address names (`#/c/<id>/lora/<loraId>`), else null. */
export function loraIdInHash(hash: string): string | null {
  const [first, , tab, loraId] = hashParts(hash);
  if (first !== 'c' || tab !== 'lora' || !loraId) return null;
  try {
    return decodeURIComponent(loraId);
  } catch {
    return loraId; // a malformed %-escape names no LoRA the list has: the page says it is gone
  }
}

/**
 * Which of `loras` (oldest first) the page shows: `named` (the address's LoRA) while it is listed, else the newest
 * (null: none left); `namedGone` when the address named a LoRA that is no longer listed (it was deleted).
 */
export function loraToShow(
  loras: readonly { id: string }[],
  named: string | null,
): { id: string | null; namedGone: boolean } {
  if (named && loras.some((lora) => lora.id === named)) return { id: named, namedGone: false };
  return { id: loras[loras.length - 1]?.id ?? null, namedGone: named !== null };
}

/** What the LoRA page says when the address (a link, another tab) named a LoRA since deleted; `newestShown`: some
 * LoRA is left, and the page shows the newest. */
export function namedLoraGone(newestShown: boolean): string {
  const instead = newestShown ? '; the newest LoRA is shown instead' : '';
  return `The LoRA this link opens is no longer on the server (it was deleted)${instead}.`;
}

/** What the LoRA page says when the LoRA it showed was deleted elsewhere (another tab, another user) meanwhile. */
export function loraDeletedElsewhere(name: string, newestShown: boolean): string {
  const instead = newestShown ? '; the newest LoRA is shown instead' : '';
  return `The LoRA ${name} was deleted elsewhere (another tab or another user)${instead}.`;
}

/**
 * What the page shows after reading the list again (the user came back to the tab, or a Delete found the LoRA
 * already gone): `selected` while listed, else the newest, with the words naming the gone LoRA (`previous`, the list
 * the page showed, gives its name; null words when nothing was selected or it is still there).
 */
export function reselectAfterReread(
  previous: readonly { id: string; name: string }[],
  next: readonly { id: string }[],
  selected: string | null,
): { id: string | null; gone: string | null } {
  if (selected === null || next.some((lora) => lora.id === selected))
    return { id: selected ?? next[next.length - 1]?.id ?? null, gone: null };
  const name = previous.find((lora) => lora.id === selected)?.name ?? selected;
  const newest = next[next.length - 1]?.id ?? null;
  return { id: newest, gone: loraDeletedElsewhere(name, newest !== null) };
}

// web/src/components/lora-address.ts — the LoRA page's address for one LoRA (`#/c/<characterId>/lora/<loraId>`),
// which "Open the LoRA" on a train job links to so that the page shows that job's LoRA, not the newest, and which
// LoRA the page shows for an address (the named one while it is listed, an older row of a listed file as that file's
// LoRA; else the newest, saying the named one was deleted when this tab saw it listed, else that the character has
// no such LoRA). Pure but for the tab's record of the LoRA ids it saw.
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

/** A listed LoRA as GET /api/artifacts gives it: `sameFileIds`, the older rows of its file the list leaves out. */
export interface ListedLoraIds {
  id: string;
  sameFileIds?: readonly string[];
}

/**
 * The LoRA of `loras` that `id` names: the one with that id, or the one whose file an older, unlisted row of that id
 * is (`sameFileIds`: an older toonlora recorded a resumed job's LoRA twice; a job or an address may name either).
 */
export function listedLora<T extends ListedLoraIds>(loras: readonly T[], id: string): T | undefined {
  return loras.find((lora) => lora.id === id) ?? loras.find((lora) => lora.sameFileIds?.includes(id));
}

/**
 * Which of `loras` (oldest first) the page shows: `named` (the address's LoRA, or the listed LoRA of its file) while
 * it is listed, else the newest (null: none left); `namedGone` when the address named a LoRA that is no longer
 * listed (it was deleted).
 */
export function loraToShow(
  loras: readonly ListedLoraIds[],
  named: string | null,
): { id: string | null; namedGone: boolean } {
  const shown = named ? listedLora(loras, named) : undefined;
  if (shown) return { id: shown.id, namedGone: false };
  return { id: loras[loras.length - 1]?.id ?? null, namedGone: named !== null };
}

/** The LoRA ids this tab has seen on the server (a list it read, a train job's result naming its LoRA): an address
 * naming one of them that is no longer listed names a deleted LoRA; any other never was this character's. Kept in
 * sessionStorage (this tab's, across reloads) where there is one. */
const SEEN_KEY = 'toonlora.seenLoras';
const SEEN_MAX = 1000;
const seenInTab = new Set<string>(readSeen());

function tabStorage(): Storage | null {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // storage blocked: this page load's record only
  }
}

function readSeen(): string[] {
  try {
    const ids: unknown = JSON.parse(tabStorage()?.getItem(SEEN_KEY) ?? '[]');
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
  } catch {
    return [];
  }
}

/** Records LoRA ids the server named (a list read, with the older rows of each file; a job's result); returns
 * `loras` (for `.then`). */
export function rememberLoras<T extends ListedLoraIds>(loras: T[]): T[] {
  const before = seenInTab.size;
  for (const id of loras.flatMap((lora) => [lora.id, ...(lora.sameFileIds ?? [])])) seenInTab.add(id);
  if (seenInTab.size === before) return loras;
  try {
    tabStorage()?.setItem(SEEN_KEY, JSON.stringify([...seenInTab].slice(-SEEN_MAX)));
  } catch {
    // full or blocked: the record in memory still holds for this page load
  }
  return loras;
}

/** Whether this tab saw a LoRA with this id on the server (rememberLoras). */
export function seenLora(id: string): boolean {
  return seenInTab.has(id);
}

/**
 * What the LoRA page says when the address (a link, another tab) named a LoRA it does not list: deleted when
 * `listedBefore` (this tab saw it on the server), else there is no such LoRA for this character (a mistyped id,
 * another character's LoRA); `newestShown`: some LoRA is left, and the page shows the newest.
 */
export function namedLoraGone(
  named: string,
  newestShown: boolean,
  listedBefore: (id: string) => boolean = seenLora,
): string {
  const instead = newestShown ? '; the newest LoRA is shown instead' : '';
  return listedBefore(named)
    ? `The LoRA this link opens is no longer on the server (it was deleted)${instead}.`
    : `This character has no LoRA with the id ${named} (the link may be mistyped, or another character's)${instead}.`;
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

// web/src/route.ts — what a hash route names: the characters list, the models page, a character's tab, or
// nothing (a tab the app does not have, e.g. #/c/<id>/bogus; a page it does not have, e.g. #/zzz). Pure: the
// hash's parts in, the view out.

export const TABS = [
  ['upload', 'Screenshots'],
  ['dataset', 'Dataset'],
  ['train', 'Train'],
  ['lora', 'LoRA'],
  ['generate', 'Generate'],
] as const;
export type Tab = (typeof TABS)[number][0];

export type Route =
  | { view: 'characters' }
  | { view: 'models' }
  | { view: 'character'; characterId: string; tab: Tab }
  /** `#/c/<id>/<tab>` with a tab the app does not have: the not-found view, not an empty page. */
  | { view: 'no-such-tab'; characterId: string; tab: string }
  /** `#/<name>` the app does not have (a mistyped or old link): the not-found view, not the characters list. */
  | { view: 'no-such-page'; path: string };

function isTab(name: string): name is Tab {
  return TABS.some(([id]) => id === name);
}

/** `#/c/mina/train` -> ['c', 'mina', 'train'] */
export function hashParts(hash: string): string[] {
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean);
}

/** The view the hash's parts name; a character without a tab opens its first tab (Screenshots). */
export function parseRoute(parts: readonly string[]): Route {
  const [first, characterId, tab = 'upload'] = parts;
  if (first === undefined) return { view: 'characters' };
  if (first === 'models') return { view: 'models' };
  if (first !== 'c') return { view: 'no-such-page', path: parts.join('/') };
  if (!characterId) return { view: 'characters' };
  return isTab(tab) ? { view: 'character', characterId, tab } : { view: 'no-such-tab', characterId, tab };
}

// web/src/components/shown-page.ts — which page a route shows, as a key: the app drops an error a page reports
// after the user went on to another page (a download refused after the user left the LoRA tab showed its banner
// on the Generate tab). A LoRA page's address naming a LoRA (`#/c/<id>/lora/<loraId>`) is the same page whichever
// LoRA it names.
import type { Route } from '../route.js';

/** The page `route` shows: its view, with the character and tab for a character's page. */
export function pageKey(route: Route): string {
  switch (route.view) {
    case 'character':
    case 'no-such-tab':
      return `${route.view}/${route.characterId}/${route.tab}`;
    case 'no-such-page':
      return `${route.view}/${route.path}`;
    default:
      return route.view;
  }
}

// src/jobs/character-words.ts — a character's trigger and class word: changed (PATCH /api/characters/:id, with a
// rename or alone), and checked before a prep job builds captions with them. An older toonlora allowed words that
// today's rules refuse (`ze:d`, `boy.`); such a character's prep used to fail with the CLI's "prep settings are
// invalid … Set --trigger or prep.trigger", which a web user cannot do: it now says which word is refused, why, and
// how to change it. Dataset versions built before a change keep their captions; new builds use the new words.
import { ToonloraError } from '../errors.js';
import type { Character } from '../schemas/api.js';
import { prepConfigSchema } from '../schemas/config.js';
import { safeParseInWords } from '../schemas/issue-words.js';
import { getCharacter } from './catalog/characters.js';
import type { SqliteDatabase } from './database.js';

/** A character's two caption words, as the API names them. */
export interface CharacterWords {
  readonly trigger?: string | undefined;
  readonly classWord?: string | undefined;
}

/** The API's name of each word and the database column that holds it. */
const WORDS = [
  { key: 'trigger', label: 'trigger', column: 'trigger' },
  { key: 'classWord', label: 'class word', column: 'class_word' },
] as const;

/**
 * Sets the trigger and / or class word of character `id` (the ones given), already checked under a new character's
 * rules, and returns it. Run it in the transaction of a rename that goes with it.
 * @throws ToonloraError TL_ERR_NOT_FOUND when unknown
 */
export function changeCharacterWords(db: SqliteDatabase, id: string, words: CharacterWords): Character {
  getCharacter(db, id);
  for (const { key, column } of WORDS) {
    const value = words[key];
    if (value !== undefined) db.prepare(`UPDATE characters SET ${column} = ? WHERE id = ?`).run(value, id);
  }
  return getCharacter(db, id);
}

/** Each of `character`'s words today's rules refuse, and what they say of it: `trigger "ze:d" (one word: no …)`. */
function refusedWords(
  character: Pick<Character, 'trigger' | 'classWord'>,
): Array<{ key: keyof CharacterWords; words: string }> {
  return WORDS.flatMap(({ key, label }) => {
    const result = safeParseInWords(prepConfigSchema.shape[key], character[key]);
    if (result.success) return [];
    const why = result.error.issues.map((issue) => issue.message).join('; ');
    return [{ key, words: `${label} ${JSON.stringify(character[key])} (${why})` }];
  });
}

/**
 * Refuses to prep for `character` when its trigger or class word is one an older toonlora allowed and today's rules
 * refuse, in words for the web page and the API: which word, why, and how to change it.
 * @throws ToonloraError TL_ERR_CONFIG naming the word and the fix
 */
export function checkCharacterWords(character: Character): void {
  const refused = refusedWords(character);
  if (refused.length === 0) return;
  const one = refused.length === 1;
  throw new ToonloraError(
    'TL_ERR_CONFIG',
    `character ${JSON.stringify(character.name)}: its ${refused.map(({ words }) => words).join(' and its ')} ` +
      `${one ? 'is' : 'are'} no longer accepted (an older toonlora allowed ${one ? 'it' : 'them'}). Change ` +
      `${one ? 'it' : 'them'} on the Characters page (Rename: the trigger and class word are there too), or with ` +
      `PATCH /api/characters/${character.id}, then prep again; dataset versions built before keep their captions.`,
    { details: { id: character.id, fields: refused.map(({ key }) => key) } },
  );
}

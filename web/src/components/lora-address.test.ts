// web/src/components/lora-address.test.ts — the LoRA page's address naming one LoRA (a train job's "Open the LoRA"):
// which LoRA it shows (the named one, else the newest saying why), and what it shows after reading the list again
// when the LoRA it showed was deleted elsewhere.
import { describe, expect, it } from 'vitest';
import {
  loraIdInHash,
  loraPageHref,
  loraToShow,
  namedLoraGone,
  reselectAfterReread,
  rememberLoras,
  seenLora,
} from './lora-address.js';

const list = [
  { id: 'l1', name: 'mina' },
  { id: 'l2', name: 'mina-v2' },
];

describe("the LoRA page's address", () => {
  it('names one LoRA, and reads back the id it names', () => {
    expect(loraPageHref('c1', 'l1')).toBe('#/c/c1/lora/l1');
    expect(loraPageHref('c1', null)).toBe('#/c/c1/lora');
    expect(loraIdInHash(loraPageHref('c1', 'a b'))).toBe('a b');
    expect(loraIdInHash('#/c/c1/lora/l1')).toBe('l1');
    expect(loraIdInHash('#/c/c1/lora')).toBeNull();
    expect(loraIdInHash('#/c/c1/train/l1')).toBeNull();
    expect(loraIdInHash('#/c/c1/lora/%E0')).toBe('%E0');
  });

  it('shows the LoRA it names, not the newest; a deleted one gives the newest, said so', () => {
    expect(loraToShow(list, 'l1')).toEqual({ id: 'l1', namedGone: false });
    expect(loraToShow(list, null)).toEqual({ id: 'l2', namedGone: false });
    expect(loraToShow(list, 'gone')).toEqual({ id: 'l2', namedGone: true });
    expect(loraToShow([], 'gone')).toEqual({ id: null, namedGone: true });
    const listed = (id: string) => id === 'gone';
    expect(namedLoraGone('gone', true, listed)).toBe(
      'The LoRA this link opens is no longer on the server (it was deleted); the newest LoRA is shown instead.',
    );
    expect(namedLoraGone('gone', false, listed)).toBe(
      'The LoRA this link opens is no longer on the server (it was deleted).',
    );
  });

  it("shows an older, hidden row of a listed LoRA's file as that LoRA, not as deleted", () => {
    // two rows an older toonlora recorded for one file list as one (the newest), naming the other in sameFileIds;
    // before, an address with the older id said the character has no such LoRA and showed the newest
    const rows = [{ id: 'l1' }, { id: 'l3', sameFileIds: ['l2'] }, { id: 'l4' }];
    expect(loraToShow(rows, 'l2')).toEqual({ id: 'l3', namedGone: false });
    expect(loraToShow(rows, 'l3')).toEqual({ id: 'l3', namedGone: false });
    expect(loraToShow(rows, 'l5')).toEqual({ id: 'l4', namedGone: true });
    // once its file is deleted, an address with the hidden id names a deleted LoRA, not a mistyped one
    rememberLoras([{ id: 'l-listed', sameFileIds: ['l-hidden'] }]);
    expect(seenLora('l-hidden')).toBe(true);
  });

  it('a LoRA id this tab never saw listed is not called deleted: the character has no such LoRA', () => {
    // before, a mistyped id (or another character's LoRA) read "no longer on the server (it was deleted)"
    expect(namedLoraGone('nonsense-id', true)).toBe(
      "This character has no LoRA with the id nonsense-id (the link may be mistyped, or another character's); the newest LoRA is shown instead.",
    );
    expect(namedLoraGone('nonsense-id', false)).toBe(
      "This character has no LoRA with the id nonsense-id (the link may be mistyped, or another character's).",
    );
    // one the tab read in a list (the LoRA page's, a train job's) and that is gone now was deleted
    expect(rememberLoras([{ id: 'l-seen' }])).toEqual([{ id: 'l-seen' }]);
    expect(seenLora('l-seen')).toBe(true);
    expect(namedLoraGone('l-seen', true)).toBe(
      'The LoRA this link opens is no longer on the server (it was deleted); the newest LoRA is shown instead.',
    );
  });

  it('keeps the LoRA shown after a re-read, or says it was deleted elsewhere and shows the newest', () => {
    expect(reselectAfterReread(list, list, 'l1')).toEqual({ id: 'l1', gone: null });
    expect(reselectAfterReread(list, list, null)).toEqual({ id: 'l2', gone: null });
    expect(reselectAfterReread(list, [list[0] as (typeof list)[0]], 'l2')).toEqual({
      id: 'l1',
      gone: 'The LoRA mina-v2 was deleted elsewhere (another tab or another user); the newest LoRA is shown instead.',
    });
    expect(reselectAfterReread(list, [], 'l1')).toEqual({
      id: null,
      gone: 'The LoRA mina was deleted elsewhere (another tab or another user).',
    });
  });
});

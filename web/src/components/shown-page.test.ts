// web/src/components/shown-page.test.ts — a page's key tells a character's tabs apart, and two characters' same
// tab, but not two LoRAs of the same LoRA page.
import { describe, expect, it } from 'vitest';
import { hashParts, parseRoute } from '../route.js';
import { pageKey } from './shown-page.js';

const keyOf = (hash: string) => pageKey(parseRoute(hashParts(hash)));

describe('pageKey', () => {
  it("tells pages apart, a LoRA page's LoRAs not", () => {
    expect(keyOf('#/c/mina/lora')).not.toBe(keyOf('#/c/mina/generate'));
    expect(keyOf('#/c/mina/lora')).not.toBe(keyOf('#/c/kira/lora'));
    expect(keyOf('#/c/mina/lora/one')).toBe(keyOf('#/c/mina/lora/two'));
    expect(keyOf('#/c/mina')).toBe(keyOf('#/c/mina/upload'));
    expect(keyOf('#/')).not.toBe(keyOf('#/models'));
    expect(keyOf('#/zzz')).not.toBe(keyOf('#/'));
  });
});

// src/lora/webui-name.test.ts — a LoRA name with `:`, `>`, `"` or `,` (which break WebUI's `<lora:NAME:w>` and
// `Lora hashes` parsing) is written with `_` in the server's prompt snippet and download file names; the same cases
// as trainer/tests/test_generate_lora_name.py's (the PNG text's side of the rule).
import { describe, expect, it } from 'vitest';
import { loraDownloadName } from '../server/lora-downloads.js';
import { a1111Snippet, webuiLoraName } from './webui-name.js';

/** [name, as WebUI can parse it]: shared with trainer/tests/test_generate_lora_name.py WEBUI_NAMES. */
const WEBUI_NAMES = [
  ['mina', 'mina'],
  ['mina: v2', 'mina_ v2'],
  ['a>b', 'a_b'],
  ['say "hi", twice', 'say _hi__ twice'],
  ['ミナ v2 (best)', 'ミナ v2 (best)'],
] as const;

describe('webuiLoraName', () => {
  it.each(WEBUI_NAMES)('writes %j as %j', (name, webui) => {
    expect(webuiLoraName(name)).toBe(webui);
  });

  it('is what the prompt snippet and every download file name use', () => {
    expect(a1111Snippet('mina: v2', 'sks')).toBe('<lora:mina_ v2:0.8>, sks');
    expect(loraDownloadName('mina: v2', 'kohya')).toBe('mina_ v2.safetensors');
    expect(loraDownloadName('a>b', 'kohya-fp16')).toBe('a_b.fp16.safetensors');
    expect(loraDownloadName('x,"y"', 'diffusers')).toBe('x__y_.diffusers.safetensors');
    expect(loraDownloadName('m:n', 'peft')).toBe('m_n.peft.zip');
  });
});

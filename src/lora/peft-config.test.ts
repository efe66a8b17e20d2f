// Tests for peft-config.ts pattern matching: PEFT matches rank_pattern / alpha_pattern keys with
// Python's re, so Python-only named groups are translated, and a key JavaScript still cannot compile
// is named in a warning instead of silently matching nothing.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makePeftTensors, writePeftFolder } from './lora-fixtures.js';
import { openLora } from './open-lora.js';
import { matchPattern, parsePeftConfig, peftModuleScale, pythonRegexToJs } from './peft-config.js';
import { sd15AttentionModules } from './sd15-modules.js';

const Q1 = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
const Q2 = 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q';

describe('PEFT pattern keys in Python regex syntax', () => {
  it('translates named groups and named backreferences, leaving escaped parentheses alone', () => {
    expect(pythonRegexToJs('(?P<a>attn1)\\.to_q')).toBe('(?<a>attn1)\\.to_q');
    expect(pythonRegexToJs('(?P<x>(?P<y>a))(?P=x)')).toBe('(?<x>(?<y>a))\\k<x>');
    expect(pythonRegexToJs('\\(?P<a>')).toBe('\\(?P<a>');
    expect(matchPattern({ '(?P<a>attn1)\\.to_q': 16 }, Q1)).toBe('(?P<a>attn1)\\.to_q');
    expect(matchPattern({ '(?P<a>attn1)\\.to_q': 16 }, Q2)).toBeUndefined();
    expect(matchPattern({ '(?P<b>attn\\d)\\.to_(?P<p>q)': 16 }, Q2)).toBe('(?P<b>attn\\d)\\.to_(?P<p>q)');
    const config = parsePeftConfig(
      { r: 4, lora_alpha: 8, alpha_pattern: { '(?P<a>attn1)\\.to_q': 16 } },
      'c',
    );
    expect(peftModuleScale(config, Q1).kohyaAlpha).toBe(16);
    expect(peftModuleScale(config, Q2).kohyaAlpha).toBe(8);
  });

  it('names a key that still does not compile in a warning', async () => {
    const folder = join(await mkdtemp(join(tmpdir(), 'toonlora-pattern-')), 'peft');
    await writePeftFolder(
      folder,
      makePeftTensors({ modules: sd15AttentionModules().slice(0, 2), rank: 4, seed: 1 }),
      {
        r: 4,
        lora_alpha: 8,
        alpha_pattern: { '(?i)ATTN1\\.TO_Q': 16, '(?P<a>attn1)\\.to_k': 2 },
      },
    );
    const { model, reader } = await openLora(folder);
    await reader.close();
    const alphas = Object.fromEntries(
      model.modules.map((m) => [m.path.split('.').slice(-2).join('.'), m.alpha]),
    );
    expect(alphas).toEqual({ 'attn1.to_q': 8, 'attn1.to_k': 2 });
    const warning = model.warnings.find((w) => w.includes('not a regular expression toonlora can read'));
    expect(warning).toContain('alpha_pattern "(?i)ATTN1\\.TO_Q"');
    expect(warning).not.toContain('to_k');
  });
});

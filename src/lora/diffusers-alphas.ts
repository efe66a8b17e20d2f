// src/lora/diffusers-alphas.ts — which alphas of a kohya file diffusers 0.42.1 `load_lora_weights`
// applies at another strength than the file's (pure): convert warns, inspect notes it, diffusers-copy.ts
// avoids it.
import { kohyaModuleName } from './lora-keys.js';
import type { LoraModule } from './lora-model.js';

/** What diffusers does with some of a kohya file's alphas ({@link diffusersMisreadsAlphas}), without the way out. */
export const DIFFUSERS_KOHYA_ALPHA_FACTS =
  "modules have different alphas, and diffusers 0.42 load_lora_weights applies some at the wrong strength: UNet attention modules (attn1 / attn2) and every text-encoder module get their component's most common alpha (its alpha_pattern keys for them match no module; measured), and so does a module with no .alpha. UNet resnet / conv, proj_in / proj_out and ff alphas are applied as they are.";

/** Note shown when diffusers would apply some of a kohya file's alphas wrong ({@link diffusersMisreadsAlphas}). */
export const DIFFUSERS_KOHYA_ALPHA_NOTE = `${DIFFUSERS_KOHYA_ALPHA_FACTS} Use convert --to diffusers for diffusers.`;

/** What {@link diffusersMisreadAlphas} needs of a module. */
export type AlphaModule = Pick<LoraModule, 'component' | 'path' | 'rank' | 'alpha' | 'alphaSource'>;

/** A module diffusers applies at another alpha than its own. */
export interface MisreadAlpha {
  /** kohya module name, e.g. `lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q`. */
  readonly module: string;
  readonly alpha: number;
  /** The alpha diffusers uses for it: its component's most common one. */
  readonly applied: number;
}

/**
 * The modules of a kohya file that diffusers 0.42.1 `load_lora_weights` applies at another alpha than
 * their own. `_convert_non_diffusers_lora_to_diffusers` keeps each `.alpha` as `network_alphas`; per
 * component (UNet, text encoder), utils/peft_utils.py `get_peft_kwargs` makes the most common alpha
 * `lora_alpha` (a tie: the first module's in key order, as safetensors lists them) and the others
 * `alpha_pattern` entries. Those entries match a module only for UNet modules outside attention: a UNet
 * attention key keeps `attn1.processor.to_q_lora.down.weight` in its name (`_convert_unet_lora_key`),
 * and a text-encoder key becomes `text_model.encoder.layers.N.self_attn` / `text_model.…mlp.fc1`, which
 * names no module (self_attn is not a projection; transformers 5 has no `text_model`). A module without
 * `.alpha` (`missingAlphas`: alphaSource 'assumed-rank', a file as it is read) has no entry and gets the
 * most common alpha too; a component with no `.alpha` at all gets alpha = rank, which is right.
 * Measured on the tiny base with fuse_lora: resnet / conv 3x3, proj_in / proj_out and ff alphas exact;
 * attn1 / attn2, text-encoder self_attn and mlp alphas off; a text encoder whose one alpha differs
 * from the UNet's exact.
 */
export function diffusersMisreadAlphas(
  modules: readonly AlphaModule[],
  missingAlphas = false,
): MisreadAlpha[] {
  const misread: MisreadAlpha[] = [];
  for (const component of ['unet', 'text_encoder'] as const) {
    const named = modules
      .filter((m) => m.component === component)
      .map((m) => ({ m, name: kohyaModuleName(m.component, m.path) }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const stored = (m: AlphaModule) => !missingAlphas || m.alphaSource !== 'assumed-rank';
    const applied = mostCommon(named.filter(({ m }) => stored(m)).map(({ m }) => m.alpha));
    if (applied === undefined) continue;
    for (const { m, name } of named) {
      if (m.alpha === applied) continue;
      const patternMatches = stored(m) && component === 'unet' && !UNET_ATTENTION.test(m.path);
      if (!patternMatches) misread.push({ module: name, alpha: m.alpha, applied });
    }
  }
  return misread;
}

/** A UNet module diffusers renames to `…attn1.processor.to_q_lora` (`_convert_unet_lora_key`). */
const UNET_ATTENTION = /(^|\.)transformer_blocks\.\d+\.attn[12]\./;

/** Python's `Counter(values).most_common()[0][0]`: the most frequent value, ties to the one seen first. */
function mostCommon(values: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Whether diffusers would load this file with some module at the wrong strength ({@link
 * diffusersMisreadAlphas}; inspect.ts notes it, convert.ts warns, diffusers-copy.ts avoids it). Only a
 * kohya file: diffusers-format files carry alpha_pattern in their metadata, which diffusers applies.
 * `missingAlphas`: the modules are the file as read, so 'assumed-rank' ones have no `.alpha`; left
 * false for a file convert writes (it writes an `.alpha` for every module).
 */
export function diffusersMisreadsAlphas(
  format: string,
  modules: readonly AlphaModule[],
  missingAlphas = false,
): boolean {
  return format === 'kohya' && diffusersMisreadAlphas(modules, missingAlphas).length > 0;
}

// src/lora/lokr-kohya-alphas.ts — carries a kohya LoKr file's `.alpha` of modules whose two factors
// are full matrices through a PEFT folder (pure). LyCORIS and the loaders use scale 1 there whatever the
// alpha (LyCORIS writes its network dim), and PEFT re-creates full factors only at r = alpha = its own
// choice (lokr-plan.ts peftRankAlpha), so the file's value would otherwise come back as PEFT's r (8
// where the file had 32): weights unchanged, file different. The values ride in the PEFT adapter's
// safetensors metadata, which PEFT and diffusers ignore, and a convert back to kohya writes them again.
import { kohyaModuleName } from './lora-keys.js';
import type { LokrModel, LokrModule } from './lokr.js';

/** The metadata key: a JSON object of kohya module name -> the kohya file's `.alpha`. */
export const LOKR_KOHYA_ALPHAS_KEY = 'toonlora_lokr_kohya_alphas';

/**
 * The metadata entry for `modules` written to PEFT: each full-full module whose kohya alpha
 * (`kohyaAlpha`, lokr.ts kohyaAlphaOf) is not the r PEFT gets (`peftR`); empty when none differs.
 */
export function kohyaAlphasMetadata(
  modules: readonly LokrModule[],
  kohyaAlpha: (module: LokrModule) => number,
  peftR: (module: LokrModule) => number,
): Record<string, string> {
  const carried: Record<string, number> = {};
  for (const m of modules) {
    if (m.rank !== undefined) continue;
    const alpha = kohyaAlpha(m);
    if (alpha !== peftR(m)) carried[kohyaModuleName(m.component, m.path)] = alpha;
  }
  return Object.keys(carried).length > 0 ? { [LOKR_KOHYA_ALPHAS_KEY]: JSON.stringify(carried) } : {};
}

/** The carried alphas of an adapter file's metadata (finite numbers only; anything else is ignored). */
export function readKohyaAlphas(metadata: Readonly<Record<string, string>> | undefined): Map<string, number> {
  const raw = metadata?.[LOKR_KOHYA_ALPHAS_KEY];
  const alphas = new Map<string, number>();
  if (!raw) return alphas;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return alphas;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return alphas;
  for (const [name, value] of Object.entries(parsed))
    if (typeof value === 'number' && Number.isFinite(value)) alphas.set(name, value);
  return alphas;
}

/** `model` with each full-full module's carried kohya alpha (`kohyaAlpha`) from `alphas`. */
export function withKohyaAlphas(model: LokrModel, alphas: ReadonlyMap<string, number>): LokrModel {
  if (alphas.size === 0) return model;
  return {
    ...model,
    modules: model.modules.map((m) => {
      const alpha = m.rank === undefined ? alphas.get(kohyaModuleName(m.component, m.path)) : undefined;
      return alpha === undefined ? m : { ...m, kohyaAlpha: alpha };
    }),
  };
}

// src/lora/peft-config.ts — PEFT's adapter_config.json (pure): the fields that decide each module's
// rank and scale (r, lora_alpha, rank_pattern, alpha_pattern, use_rslora, use_dora; for LoKr r, alpha,
// decompose_factor, decompose_both), PEFT's pattern lookup, the kohya alpha that reproduces PEFT's
// scale, and the config written for kohya -> PEFT.
import { z } from 'zod';
import { ToonloraError } from '../errors.js';
import { safeParseInWords } from '../schemas/issue-words.js';
import { valuePreview } from '../value-preview.js';

/** The adapter_config.json fields toonlora reads; others pass through. Defaults are PEFT's `LoraConfig`. */
export const peftAdapterConfigSchema = z
  .object({
    peft_type: z.string().optional(),
    r: z.number().int().positive().default(8),
    lora_alpha: z.number().positive().default(8),
    rank_pattern: z.record(z.string(), z.number().int().positive()).nullish(),
    alpha_pattern: z.record(z.string(), z.number().positive()).nullish(),
    use_rslora: z.boolean().nullish(),
    use_dora: z.boolean().nullish(),
    target_modules: z.union([z.array(z.string()), z.string()]).nullish(),
  })
  .loose();

export type PeftAdapterConfig = z.infer<typeof peftAdapterConfigSchema>;

/**
 * A LoKr adapter_config.json (PEFT `LoKrConfig`, peft 0.21.2 tuners/lokr/config.py): `alpha` instead of
 * `lora_alpha`, and the Kronecker split (`decompose_factor`, `decompose_both`). Defaults are PEFT's.
 */
export const peftLokrConfigSchema = z
  .object({
    peft_type: z.string().optional(),
    r: z.number().int().positive().default(8),
    alpha: z.number().positive().default(8),
    rank_pattern: z.record(z.string(), z.number().int().positive()).nullish(),
    alpha_pattern: z.record(z.string(), z.number().positive()).nullish(),
    decompose_both: z.boolean().default(false),
    decompose_factor: z.number().int().default(-1),
    use_effective_conv2d: z.boolean().nullish(),
    target_modules: z.union([z.array(z.string()), z.string()]).nullish(),
  })
  .loose();

export type PeftLokrConfig = z.infer<typeof peftLokrConfigSchema>;

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function findForbiddenKey(value: unknown, path: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key)) return `${path}${key}`;
    const nested = findForbiddenKey((value as Record<string, unknown>)[key], `${path}${key}.`);
    if (nested) return nested;
  }
  return undefined;
}

/** Checks `raw` against `schema`, refusing prototype-polluting keys; TL_ERR_LORA_FORMAT naming the field, what is
 * wrong in words (issue-words.ts: "must be greater than 0", not zod's "Too small: expected number to be >0") and
 * the value. */
function validateConfig<T extends z.ZodType>(schema: T, raw: unknown, file: string): z.infer<T> {
  const forbidden = findForbiddenKey(raw, '');
  if (forbidden) {
    throw new ToonloraError(
      'TL_ERR_LORA_FORMAT',
      `${file}: key "${forbidden}" is not allowed (prototype pollution). Fix the config.`,
      {
        details: { file, field: forbidden },
      },
    );
  }
  const result = safeParseInWords(schema, raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    let value: unknown = raw;
    for (const key of issue?.path ?? []) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
    const got = value === undefined ? '' : `, got ${valuePreview(value)}`;
    throw new ToonloraError(
      'TL_ERR_LORA_FORMAT',
      `${file}: ${field || 'config'}: ${issue?.message ?? 'invalid'}${got}. Fix adapter_config.json.`,
      {
        details: { file, field },
      },
    );
  }
  return result.data;
}

/**
 * Validates a parsed adapter_config.json (or diffusers' `lora_adapter_metadata` for one component).
 * @throws TL_ERR_LORA_FORMAT naming the file, the field and the value.
 */
export function parsePeftConfig(raw: unknown, file: string): PeftAdapterConfig {
  const config = validateConfig(peftAdapterConfigSchema, raw, file);
  if (config.peft_type !== undefined && config.peft_type !== 'LORA') {
    const why =
      config.peft_type === 'LOKR'
        ? 'but the weights are LoRA tensors (lora_A / lora_B): the config does not belong to these weights'
        : 'only LoRA and LoKr adapters convert';
    throw new ToonloraError(
      'TL_ERR_LORA_FORMAT',
      `${file}: peft_type "${config.peft_type}" is not LORA; ${why}.`,
      {
        details: { file, field: 'peft_type' },
      },
    );
  }
  return config;
}

/**
 * Validates a LoKr adapter_config.json (the weights hold lokr_* tensors).
 * @throws TL_ERR_LORA_FORMAT naming the file and field; also when peft_type is not LOKR.
 */
export function parsePeftLokrConfig(raw: unknown, file: string): PeftLokrConfig {
  const config = validateConfig(peftLokrConfigSchema, raw, file);
  if (config.peft_type !== undefined && config.peft_type !== 'LOKR') {
    throw new ToonloraError(
      'TL_ERR_LORA_FORMAT',
      `${file}: peft_type "${config.peft_type}" does not match the weights, which are LoKr tensors (lokr_w1, lokr_w2, ...); PEFT would not load them either. Fix adapter_config.json (peft_type "LOKR", with r, alpha and decompose_factor).`,
      { details: { file, field: 'peft_type' } },
    );
  }
  return config;
}

/** Python's `(?P<name>` and `(?P=name)`, not after an escaping backslash. */
const PY_NAMED_GROUP = /(?<=(?:^|[^\\])(?:\\\\)*)\(\?P<(\w+)>/g;
const PY_NAMED_BACKREF = /(?<=(?:^|[^\\])(?:\\\\)*)\(\?P=(\w+)\)/g;

/**
 * A pattern key in Python `re` syntax (what PEFT matches it with) as JavaScript syntax: named groups
 * `(?P<name>...)` become `(?<name>...)` and named backreferences `(?P=name)` become `\k<name>`; an
 * escaped `\(` is left alone. Other syntax is the same in both for the patterns PEFT configs hold.
 */
export function pythonRegexToJs(pattern: string): string {
  return pattern.replace(PY_NAMED_GROUP, '(?<$1>').replace(PY_NAMED_BACKREF, '\\k<$1>');
}

/** PEFT's full-match regex for a pattern key, or undefined when JavaScript cannot compile it. */
function patternRegex(key: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:.*\\.)?(?:${pythonRegexToJs(key)})$`);
  } catch {
    return undefined;
  }
}

/**
 * PEFT's pattern lookup (peft/utils/other.py `get_pattern_key`): the first key for which
 * `re.match(rf"(.*\.)?({key})$", module)` matches, else undefined. A key JavaScript cannot compile
 * even after {@link pythonRegexToJs} matches only the module path it spells exactly (see
 * {@link unreadablePatternKeys}, which callers warn about).
 */
export function matchPattern(
  patterns: Readonly<Record<string, number>> | null | undefined,
  modulePath: string,
): string | undefined {
  if (!patterns) return undefined;
  for (const key of Object.keys(patterns)) {
    const regex = patternRegex(key);
    if (regex ? regex.test(modulePath) : key === modulePath) return key;
  }
  return undefined;
}

/** rank_pattern / alpha_pattern keys JavaScript cannot compile as regular expressions, as `field "key"`. */
export function unreadablePatternKeys(config: {
  readonly rank_pattern?: Readonly<Record<string, number>> | null | undefined;
  readonly alpha_pattern?: Readonly<Record<string, number>> | null | undefined;
}): string[] {
  return (['rank_pattern', 'alpha_pattern'] as const).flatMap((field) =>
    Object.keys(config[field] ?? {})
      .filter((key) => patternRegex(key) === undefined)
      .map((key) => `${field} "${key}"`),
  );
}

/** Rank and alpha PEFT gives a module, and the kohya alpha with the same scale. */
export interface ModuleScale {
  readonly rank: number;
  readonly loraAlpha: number;
  /** alpha such that alpha / rank == PEFT's scaling (rsLoRA: lora_alpha / sqrt(r) -> lora_alpha * sqrt(r)). */
  readonly kohyaAlpha: number;
}

/** PEFT's per-module rank / alpha (peft/tuners/lora/layer.py `update_layer`: scaling = alpha / r or alpha / sqrt(r)). */
export function peftModuleScale(config: PeftAdapterConfig, modulePath: string): ModuleScale {
  const rankKey = matchPattern(config.rank_pattern, modulePath);
  const alphaKey = matchPattern(config.alpha_pattern, modulePath);
  const rank = rankKey === undefined ? config.r : (config.rank_pattern?.[rankKey] as number);
  const loraAlpha = alphaKey === undefined ? config.lora_alpha : (config.alpha_pattern?.[alphaKey] as number);
  const kohyaAlpha = config.use_rslora ? loraAlpha * Math.sqrt(rank) : loraAlpha;
  return { rank, loraAlpha, kohyaAlpha };
}

/**
 * PEFT's rank and alpha for one LoKr module (peft/tuners/lokr/model.py `_create_and_replace`:
 * rank_pattern / alpha_pattern, else r / alpha); its scale is alpha / r (layer.py `update_layer`).
 */
export function peftLokrModuleRank(config: PeftLokrConfig, modulePath: string): { r: number; alpha: number } {
  const rankKey = matchPattern(config.rank_pattern, modulePath);
  const alphaKey = matchPattern(config.alpha_pattern, modulePath);
  return {
    r: rankKey === undefined ? config.r : (config.rank_pattern?.[rankKey] as number),
    alpha: alphaKey === undefined ? config.alpha : (config.alpha_pattern?.[alphaKey] as number),
  };
}

/** The most common value (ties: the smallest); exported for the LoKr config inference. */
export function mostCommon(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = values[0] as number;
  let bestCount = 0;
  for (const [v, c] of [...counts].sort((a, b) => a[0] - b[0])) {
    if (c > bestCount) {
      best = v;
      bestCount = c;
    }
  }
  return best;
}

/**
 * The shortest decimal that reads back as the same float32 (kohya stores alpha as a float32
 * tensor: 0.1 arrives as 0.10000000149011612 and should go back to PEFT as 0.1).
 */
export function shortestFloat32(value: number): number {
  const target = Math.fround(value);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(target.toPrecision(digits));
    if (Math.fround(candidate) === target) return candidate;
  }
  return target;
}

/**
 * The adapter_config.json for modules with given ranks and kohya alphas (rsLoRA off): the most
 * common rank / alpha become `r` / `lora_alpha`, the others go to `rank_pattern` / `alpha_pattern`
 * keyed by full module path (as diffusers' `get_peft_kwargs` does).
 */
export function buildPeftConfig(
  modules: ReadonlyArray<{ path: string; rank: number; alpha: number }>,
  options: { useDora: boolean; baseModel?: string },
): Record<string, unknown> {
  const r = mostCommon(modules.map((m) => m.rank));
  const alphas = modules.map((m) => shortestFloat32(m.alpha));
  const loraAlpha = mostCommon(alphas);
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  modules.forEach((m, i) => {
    if (m.rank !== r) rankPattern[m.path] = m.rank;
    if (alphas[i] !== loraAlpha) alphaPattern[m.path] = alphas[i] as number;
  });
  return {
    peft_type: 'LORA',
    base_model_name_or_path: options.baseModel ?? null,
    r,
    lora_alpha: loraAlpha,
    rank_pattern: rankPattern,
    alpha_pattern: alphaPattern,
    target_modules: [...new Set(modules.map((m) => m.path))].sort(),
    use_rslora: false,
    use_dora: options.useDora,
    lora_dropout: 0,
    bias: 'none',
    init_lora_weights: true,
    fan_in_fan_out: false,
    modules_to_save: null,
    task_type: null,
  };
}

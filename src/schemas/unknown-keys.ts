// src/schemas/unknown-keys.ts — finds the keys of a config file that the zod schema does not know
// (zod objects drop them silently, so `rnak = 3` would train at the default rank) and the key the
// user most likely meant. Pure: values in, values out.
import type { z } from 'zod';

/** A key the schema does not have, e.g. `training.rnak`, and the known key it is closest to. */
export interface UnknownKey {
  /** Dotted path of the unknown key in the file. */
  readonly path: string;
  /** Dotted path of the likely intended key, when one is close enough. */
  readonly suggestion?: string;
  /** The keys the schema has where the unknown one sits. */
  readonly known: readonly string[];
}

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Wrappers (default, prefault, optional, ...) around a schema, peeled off to reach its object shape. */
interface SchemaDef {
  readonly type: string;
  readonly shape?: Record<string, z.ZodType>;
  readonly innerType?: z.ZodType;
}

/** The object shape of `schema` under its default / prefault / optional wrappers; undefined for a non-object. */
export function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let def = schema._zod.def as SchemaDef;
  while (def.innerType) def = def.innerType._zod.def as SchemaDef;
  return def.type === 'object' ? def.shape : undefined;
}

/** Every dotted path the schema has (objects and their fields), in schema order. */
export function knownPaths(schema: z.ZodType, prefix: readonly string[] = []): string[] {
  const shape = objectShape(schema);
  if (!shape) return [];
  return Object.entries(shape).flatMap(([key, child]) => {
    const path = [...prefix, key];
    return [path.join('.'), ...knownPaths(child, path)];
  });
}

/** Lower case without `_` / `-`: `learning_rate` and `learningRate` are the same word to a user. */
function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[_-]/g, '');
}

/** Edit distance counting a swap of two neighbours as one edit (`rnak` -> `rank` is 1). */
export function editDistance(a: string, b: string): number {
  const width = b.length + 1;
  const d = new Array<number>((a.length + 1) * width).fill(0);
  const at = (i: number, j: number): number => d[i * width + j] ?? 0;
  for (let i = 0; i <= a.length; i++) d[i * width] = i;
  for (let j = 0; j <= b.length; j++) d[j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      const swapped = i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1];
      if (swapped) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * width + j] = best;
    }
  }
  return at(a.length, b.length);
}

function sharedPrefixLength(a: readonly string[], b: readonly string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * The known path whose last key is closest to `path`'s last key (at most a third of its letters
 * differ), preferring the one nearest in the tree; undefined when none is close. Equally good ones are
 * all named (`training.steps or generation.steps` for `prep.steps`): picking one would be a guess.
 */
export function suggestKey(path: readonly string[], known: readonly string[]): string | undefined {
  const word = normalizeKey(path.at(-1) ?? '');
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: { paths: string[]; distance: number; shared: number } | undefined;
  for (const candidate of known) {
    const parts = candidate.split('.');
    const distance = editDistance(word, normalizeKey(parts.at(-1) ?? ''));
    const shared = sharedPrefixLength(parts, path);
    if (distance > limit) continue;
    if (!best || distance < best.distance || (distance === best.distance && shared > best.shared)) {
      best = { paths: [candidate], distance, shared };
    } else if (distance === best.distance && shared === best.shared) {
      best.paths.push(candidate);
    }
  }
  return best?.paths.join(' or ');
}

/** The keys of `input` that `schema` does not have, depth first, each with the likely intended key. */
export function findUnknownKeys(input: unknown, schema: z.ZodType): UnknownKey[] {
  const all = knownPaths(schema);
  const walk = (node: unknown, nodeSchema: z.ZodType, prefix: readonly string[]): UnknownKey[] => {
    const shape = objectShape(nodeSchema);
    if (!shape || !isPlainObject(node)) return [];
    return Object.entries(node).flatMap(([key, value]) => {
      const path = [...prefix, key];
      const child = Object.hasOwn(shape, key) ? shape[key] : undefined;
      if (child) return walk(value, child, path);
      const suggestion = suggestKey(path, all);
      return [{ path: path.join('.'), known: Object.keys(shape), ...(suggestion ? { suggestion } : {}) }];
    });
  };
  return walk(input, schema, []);
}

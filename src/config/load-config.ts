// src/config/load-config.ts — reads a toonlora config (JSON or TOML), merges CLI overrides on top
// and validates it through the zod schemas in src/schemas/config.ts, turning zod issues into
// messages that name the field, the value that arrived and the fix.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import { ToonloraError } from '../errors.js';
import {
  bothTrainingLengthsMessage,
  type ToonloraConfig,
  type ToonloraConfigInput,
  toonloraConfigSchema,
  trainingLengthKeysSet,
} from '../schemas/config.js';
import { isWholeMessage, safeParseInWords } from '../schemas/issue-words.js';
import { findUnknownKeys, type UnknownKey } from '../schemas/unknown-keys.js';
import { valuePreview } from '../value-preview.js';

/**
 * Config field path -> the CLI flag that sets it, for "Set --rank or training.rank." hints. Only flags
 * that exist (`prep`, `train`, `generate` --help); a field with no flag is named alone.
 */
export const FLAG_FOR_FIELD: Readonly<Record<string, string>> = {
  'training.lora.rank': '--rank',
  'training.lora.alpha': '--alpha',
  'training.lora.lokrFactor': '--lokr-factor',
  'training.lora.dora': '--dora',
  'training.lora.algorithm': '--lokr',
  'training.steps': '--steps',
  'training.epochs': '--epochs',
  'training.learningRate': '--lr',
  'training.textEncoderLearningRate': '--te-lr',
  'training.keepCheckpoints': '--keep-checkpoints',
  'training.trainTextEncoder': '--train-text-encoder',
  'training.compile': '--compile',
  'training.aspectRatioBuckets': '--no-buckets',
  'training.baseModel': '--base',
  'prep.trigger': '--trigger',
  'prep.classWord': '--class',
  'prep.repeats': '--repeats',
  'prep.resolution': '--resolution',
  'prep.segmenter': '--segmenter',
  'prep.inpainter': '--inpainter',
  'prep.captioner': '--captioner',
  'prep.characters': '--characters',
  'prep.workers': '--workers',
  'prep.dedupe': '--keep-duplicates',
  'generation.baseModel': '--base',
  'generation.prompt': '--prompt',
  'generation.negativePrompt': '--negative',
  'generation.loraWeight': '--weight',
  'generation.steps': '--steps',
  'generation.guidanceScale': '--cfg',
  'generation.scheduler': '--scheduler',
  'generation.width': '--width',
  'generation.height': '--height',
  'generation.seeds': '--seed',
};

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Deep-merges `override` onto `base` (objects merge, everything else replaces); `undefined` is skipped.
 * A non-object in `base` where `override` has a section (`training = "fast"`, `[training] lora = 8`)
 * stays, so validation names it: flags for that section must not hide a broken config file.
 */
export function mergeConfig(base: PlainObject, override: PlainObject): PlainObject {
  const merged: PlainObject = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined || key === '__proto__' || key === 'constructor') continue;
    const current = merged[key];
    if (isPlainObject(value) && current !== undefined && !isPlainObject(current)) continue;
    merged[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return merged;
}

/** The offending value for a message: JSON, invisible characters (C1 controls, zero-width, bidi marks) escaped as
 * the API's 400s escape them (valuePreview), over 60 characters cut with `...`. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = valuePreview(value, 61);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = input;
  for (const key of path) {
    if (!isPlainObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/**
 * The issues with one bound per field and side: zod's `.int()` adds its own safe-integer bound, so a value past both
 * gave two lines with two limits (`<=9007199254740991` and the field's `<=4294967295`); the tighter one is the real
 * limit, and it stays. Pure.
 */
export function tightestBounds(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const bound = (issue: z.core.$ZodIssue) =>
    issue.code === 'too_big'
      ? Number(issue.maximum)
      : issue.code === 'too_small'
        ? -Number(issue.minimum)
        : undefined;
  const tightest = new Map<string, z.core.$ZodIssue>();
  for (const issue of issues) {
    const value = bound(issue);
    if (value === undefined) continue;
    const id = `${issue.code} ${issue.path.map(String).join('.')}`;
    const kept = tightest.get(id);
    if (!kept || value < (bound(kept) as number)) tightest.set(id, issue);
  }
  return issues.filter(
    (issue) =>
      bound(issue) === undefined ||
      tightest.get(`${issue.code} ${issue.path.map(String).join('.')}`) === issue,
  );
}

/**
 * One line per zod issue: `training.lora.rank: must be at most 256, got 300. Set --rank or training.lora.rank.`; an
 * issue whose message names the value and the fix itself (issue-words.ts WHOLE_MESSAGE) gets neither again.
 */
export function formatConfigIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string {
  return tightestBounds(issues)
    .map((issue) => {
      const field = issue.path.map(String).join('.') || '(config)';
      if (isWholeMessage(issue)) return `${field}: ${issue.message}.`;
      // a list item (`generation.seeds.0`) is set by its list's flag and key (`--seed or generation.seeds`)
      const key = issue.path.filter((part) => typeof part !== 'number').join('.');
      const flag = FLAG_FOR_FIELD[key];
      const setting = key || field;
      const fix = flag ? `Set ${flag} or ${setting}.` : `Set ${setting}.`;
      const got =
        issue.code === 'unrecognized_keys' ? '' : `, got ${describeValue(valueAt(input, issue.path))}`;
      return `${field}: ${issue.message}${got}. ${fix}`;
    })
    .join('\n');
}

/** Validates a whole config object (defaults filled in); throws TL_ERR_CONFIG naming each bad field. */
export function parseConfig(input: unknown, source = 'config'): ToonloraConfig {
  const result = safeParseInWords(toonloraConfigSchema, input ?? {});
  if (!result.success) {
    throw new ToonloraError(
      'TL_ERR_CONFIG',
      `${source}: invalid settings\n${formatConfigIssues(result.error.issues, input)}`,
      {
        details: { issues: result.error.issues.map((issue) => issue.path.join('.')) },
      },
    );
  }
  return result.data;
}

/** Reads a `.json` or `.toml` config file into a plain object (not yet validated). */
export function readConfigFile(path: string): ToonloraConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ToonloraError(
      'TL_ERR_CONFIG_FILE',
      `${path}: cannot read config file (${(error as Error).message}).`,
    );
  }
  try {
    const parsed: unknown = extname(path).toLowerCase() === '.toml' ? parseToml(text) : JSON.parse(text);
    if (!isPlainObject(parsed)) throw new Error('top level must be an object');
    return parsed as ToonloraConfigInput;
  } catch (error) {
    throw new ToonloraError(
      'TL_ERR_CONFIG_FILE',
      `${path}: not a valid ${extname(path) === '.toml' ? 'TOML' : 'JSON'} config (${(error as Error).message}). Use .json or .toml with [prep], [training], [generation] sections.`,
    );
  }
}

function describeUnknownKey(key: UnknownKey): string {
  const hint = key.suggestion
    ? `did you mean ${key.suggestion}?`
    : `known keys here: ${key.known.join(', ')}.`;
  return `  ${key.path}: unknown key; ${hint}`;
}

/**
 * A config file must hold only keys the schema knows: zod would drop the others silently, so a typo
 * (`[trainig]`, `rnak = 3`) would run with the default instead of the value the user wrote.
 * @throws ToonloraError TL_ERR_CONFIG_FILE naming the file, each unknown key and the likely intended one.
 */
export function assertKnownKeys(fromFile: PlainObject, file: string): void {
  const unknown = findUnknownKeys(fromFile, toonloraConfigSchema);
  if (unknown.length === 0) return;
  throw new ToonloraError(
    'TL_ERR_CONFIG_FILE',
    `${file}: unknown setting${unknown.length === 1 ? '' : 's'}; nothing was run (a misspelled key would fall back to its default):\n` +
      `${unknown.map(describeUnknownKey).join('\n')}\nFix or remove ${unknown.length === 1 ? 'it' : 'them'}.`,
    {
      details: {
        file,
        unknownKeys: unknown.map((key) => key.path),
        suggestions: unknown.map((key) => key.suggestion ?? null),
      },
    },
  );
}

/**
 * `training.steps` and `training.epochs` are one setting: a file must not give both, and a flag
 * for either replaces the file's value of the other (flags win over the file).
 */
function trainingLength(fromFile: PlainObject, overrides: PlainObject, file: string): PlainObject {
  const fileTraining = isPlainObject(fromFile.training) ? fromFile.training : {};
  const flagTraining = isPlainObject(overrides.training) ? overrides.training : {};
  const inFile = trainingLengthKeysSet(fileTraining);
  if (inFile.length > 1) {
    throw new ToonloraError(
      'TL_ERR_CONFIG_FILE',
      `${file}: ${bothTrainingLengthsMessage('training.steps', 'training.epochs', 'Keep')}`,
      { details: { file, field: 'training.epochs' } },
    );
  }
  const fromFlag = trainingLengthKeysSet(flagTraining)[0];
  if (!fromFlag || inFile.length === 0 || inFile[0] === fromFlag) return fromFile;
  const { [inFile[0] as string]: _replaced, ...training } = fileTraining;
  return { ...fromFile, training };
}

/**
 * Config file (optional) + flag overrides -> validated config. Flags win over the file, but the file is
 * validated on its own first: a value of the wrong type (`steps = "many"`) is an error even where a flag
 * replaces it, or the file would break the first run without that flag.
 */
export function loadConfig(options: { file?: string; overrides?: PlainObject } = {}): ToonloraConfig {
  const overrides = options.overrides ?? {};
  const read = options.file ? (readConfigFile(options.file) as PlainObject) : {};
  if (options.file) {
    assertKnownKeys(read, options.file);
    parseConfig(read, options.file); // every section is optional: what the file leaves out gets its default
  }
  const fromFile = trainingLength(read, overrides, options.file ?? 'config');
  const merged = mergeConfig(fromFile, overrides);
  return parseConfig(merged, options.file ?? 'config');
}

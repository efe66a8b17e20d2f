// src/cli/unknown-option-hint.ts — commander's "unknown option '--resolution'" says nothing of where the setting
// lives. Many training and generation settings are config-file keys without a flag; this names the key (read from the
// config schema, so it never drifts from it) and the line to put in a --config file, or the flag a key does have.
import { FLAG_FOR_FIELD } from '../config/load-config.js';
import { toonloraConfigSchema } from '../schemas/config.js';

/** The config section each command reads its settings from. */
const SECTION_OF_COMMAND: Readonly<Record<string, 'prep' | 'training' | 'generation'>> = {
  prep: 'prep',
  train: 'training',
  generate: 'generation',
};

/** Flag spellings (kohya sd-scripts', diffusers' and common short forms) whose key does not read the same. */
const ALIASES: Readonly<Record<string, string>> = {
  'save-every': 'checkpointEverySteps',
  'save-every-n-steps': 'checkpointEverySteps',
  'checkpoint-every': 'checkpointEverySteps',
  'checkpointing-steps': 'checkpointEverySteps',
  'grad-accum': 'gradientAccumulation',
  'gradient-accumulation-steps': 'gradientAccumulation',
  warmup: 'lrWarmupSteps',
  'warmup-steps': 'lrWarmupSteps',
  'lr-warmup': 'lrWarmupSteps',
  'train-batch-size': 'batchSize',
  'max-train-steps': 'steps',
  'learning-rate': 'learningRate',
  'unet-lr': 'learningRate',
  'text-encoder-lr': 'textEncoderLearningRate',
  'network-dim': 'lora.rank',
  'network-alpha': 'lora.alpha',
  precision: 'mixedPrecision',
  'shuffle-caption': 'shuffleCaptions',
  'sample-prompts': 'samplePrompts',
  'sample-seeds': 'sampleSeeds',
  'enable-bucket': 'aspectRatioBuckets',
  'negative-prompt': 'negativePrompt',
  'guidance-scale': 'guidanceScale',
  'lora-weight': 'loraWeight',
};

type Shape = Record<string, { _zod: { def: { innerType?: { shape?: Shape } } } }>;

/** The keys of a config section, nested objects' as `lora.rank`, from the schema. */
function sectionKeys(section: 'prep' | 'training' | 'generation'): string[] {
  const shape = (
    toonloraConfigSchema.shape[section] as unknown as { _zod: { def: { innerType: { shape: Shape } } } }
  )._zod.def.innerType.shape;
  return Object.entries(shape).flatMap(([key, schema]) => {
    const nested = schema._zod.def.innerType?.shape;
    return nested ? Object.keys(nested).map((inner) => `${key}.${inner}`) : [key];
  });
}

function camelCase(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** The key of `section` an unknown flag (`--batch-size`, `--no-shuffle-captions`, `--sample-every`) means, or null. */
function keyFor(flag: string, keys: readonly string[]): string | null {
  const name = flag.replace(/^-+/, '').replace(/=.*$/, '').toLowerCase();
  for (const candidate of [name, name.replace(/^no-/, '')]) {
    const alias = ALIASES[candidate];
    if (alias && keys.includes(alias)) return alias;
    const camel = camelCase(candidate).toLowerCase();
    const exact = keys.find(
      (key) => key.toLowerCase() === camel || key.split('.').pop()?.toLowerCase() === camel,
    );
    if (exact) return exact;
    const prefixed = keys.filter((key) => camel.length >= 4 && key.toLowerCase().startsWith(camel));
    if (prefixed.length === 1) return prefixed[0] ?? null;
  }
  return null;
}

/** A TOML value for the example line: the user's number after the flag, else the key's default. */
function exampleValue(value: unknown): string {
  return value === undefined ? '…' : JSON.stringify(value);
}

function valueAt(object: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined),
    object,
  );
}

/**
 * One line saying where the setting an unknown option of `command` names lives: its flag
 * (`--learning-rate`: "use --lr"), or its config key with a TOML line for a --config file. Null when the option
 * names no setting of the command (a typo commander already suggests a flag for).
 * `given`: the argument after the option, used as the example value when it is a number.
 */
export function unknownOptionHint(command: string, option: string, given?: string): string | null {
  const section = SECTION_OF_COMMAND[command];
  if (!section) return null;
  const key = keyFor(option, sectionKeys(section));
  if (!key) return null;
  const field = `${section}.${key}`;
  const flag = FLAG_FOR_FIELD[field];
  const shown = option.replace(/=.*$/, '');
  if (flag) return `${shown} is not a ${command} option: ${field} is set with ${flag}.`;
  const inline = /=(.*)$/.exec(option)?.[1];
  const number = [inline, given].find(
    (value) => value !== undefined && value !== '' && Number.isFinite(Number(value)),
  );
  const path = key.split('.');
  const fallback = valueAt(toonloraConfigSchema.parse({})[section], path);
  // a boolean key: what the flag asked for (`--no-shuffle-captions`: false)
  const asked = typeof fallback === 'boolean' ? !/^-+no-/.test(shown) : fallback;
  const value = number !== undefined ? Number(number) : asked;
  const table = [section, ...path.slice(0, -1)].join('.');
  return (
    `${shown} is a config-file setting, not a flag: set ${field} in a --config file ` +
    `(in TOML, under [${table}]: ${path.at(-1)} = ${exampleValue(value)}).`
  );
}

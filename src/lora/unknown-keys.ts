// src/lora/unknown-keys.ts — what a tensor key outside the LoRA / LoKr grammar is (LoCon mid weights,
// SDXL's second text encoder, PEFT biases, modules_to_save, LoKr Tucker cores, ...) and what convert
// does about it (pure): refuse with the first few named, or, when the user asked to drop them, drop
// them and every module that cannot stand without them (a LoCon module without its lora_mid is a
// different LoRA, a LoKr module without its lokr_t2 a different LoKr).
import { ToonloraError } from '../errors.js';
import { kohyaModuleName } from './lora-keys.js';
import type { LokrModel } from './lokr.js';
import { lokrModuleWarnings } from './lokr-assemble.js';
import { type LoraModel, moduleWarnings, orphanAlphaWarnings } from './lora-model.js';

/** Unknown keys named in an error message; the rest are counted. */
const SHOWN_KEYS = 5;

const KINDS: ReadonlyArray<{ test: RegExp; what: string }> = [
  { test: /\.lora_mid\.weight$/, what: 'LoCon/LyCORIS mid weights (lora_mid) are not supported' },
  { test: /^lora_te2_/, what: "SDXL's second text encoder (lora_te2_) is not supported (SD1.5 only)" },
  { test: /\.lora_[AB](?:\.[^.]+)?\.bias$/, what: 'PEFT LoRA biases (lora_bias=True) are not supported' },
  {
    test: /(?:^|\.)modules_to_save\./,
    what: 'PEFT modules_to_save (fully trained modules) are not supported',
  },
  {
    // PEFT saves a modules_to_save module's own weights without the `modules_to_save.` level.
    test: /^base_model\.model\.(?:.(?!\.lora_|\.lokr_|\.hada_))+\.(?:weight|bias)$/,
    what: 'a whole module weight: PEFT modules_to_save, a fully trained module, is not supported',
  },
  { test: /\.lokr_t2$/, what: 'LoKr Tucker cores (lokr_t2, use_effective_conv2d) are not supported' },
  { test: /\.hada_/, what: 'LyCORIS LoHa weights are not supported' },
  {
    test: /^lora_(?:unet|te\d?)_[^.]+\.diff(?:_b)?$/,
    what: 'LyCORIS full-weight differences (diff) are not supported',
  },
  {
    test: /^lora_(?:unet|te\d?)_[^.]+\.alpha$/,
    what: 'the alpha of a module whose other tensors are not supported',
  },
];

/** LyCORIS adapter kinds toonlora does not read, told by a tensor every module of theirs has. */
const UNREAD_ADAPTERS = [
  { kind: 'loha', test: /\.hada_w1_a$/, what: 'a LyCORIS LoHa file (hada_w1_a …)', loads: 'LoHa' },
  { kind: 'full', test: /\.diff$/, what: 'a LyCORIS full-weight file (diff …)', loads: 'it' },
] as const;

/** A file of an adapter kind toonlora does not read (LoHa, LyCORIS full): its kind, module count and why. */
export interface UnreadAdapter {
  readonly kind: (typeof UNREAD_ADAPTERS)[number]['kind'];
  readonly modules: number;
  /** `a LyCORIS LoHa file (hada_w1_a …, 3 modules): toonlora reads LoRA, DoRA and LoKr; …`. */
  readonly description: string;
}

/**
 * The LyCORIS adapter kind (LoHa, full) whose tensors are among `unknownKeys`, the one with the most
 * modules; undefined when there is none. Used when a file holds no LoRA module at all.
 */
export function unreadAdapter(unknownKeys: readonly string[]): UnreadAdapter | undefined {
  const found = UNREAD_ADAPTERS.map((a) => ({
    ...a,
    modules: new Set(unknownKeys.filter((k) => a.test.test(k)).map((k) => k.split('.')[0])).size,
  }))
    .filter((a) => a.modules > 0)
    .sort((a, b) => b.modules - a.modules)[0];
  if (!found) return undefined;
  return {
    kind: found.kind,
    modules: found.modules,
    description: `${found.what.replace(' …)', ` …, ${found.modules} module(s))`)}: toonlora reads LoRA, DoRA and LoKr; the WebUI and ComfyUI load ${found.loads}`,
  };
}

/** A short description of why `key` is not part of any LoRA module. */
export function describeUnknownKey(key: string): string {
  return KINDS.find((k) => k.test.test(key))?.what ?? 'not a LoRA key this converter knows';
}

/** kohya module names whose `lora_mid` weight is among `unknownKeys`. */
function modulesWithMid(unknownKeys: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const key of unknownKeys) {
    const m = /^(.+)\.lora_mid\.weight$/.exec(key);
    if (m) names.add(m[1] as string);
  }
  return names;
}

/** The first unknown keys, quoted, and how many more: `"a", "b" and 3 more`. */
function namedKeys(keys: readonly string[], describe: boolean): string {
  const shown = keys
    .slice(0, SHOWN_KEYS)
    .map((k) => (describe ? `"${k}" (${describeUnknownKey(k)})` : `"${k}"`));
  const more = keys.length > SHOWN_KEYS ? ` and ${keys.length - SHOWN_KEYS} more` : '';
  return `${shown.join(', ')}${more}`;
}

/** What the user can do about unknown keys, per command: only convert has --drop-unknown. */
export const UNKNOWN_KEYS_REMEDY = {
  convert: () =>
    'Converting without them would write a different LoRA; nothing was written. Pass --drop-unknown to convert the rest anyway.',
  generate: (file: string) =>
    `toonlora generate does not leave them out, since the LoRA would then generate differently from where it was trained. To generate without them anyway, make a copy with \`toonlora convert ${file} --to diffusers --drop-unknown -o <copy>.safetensors\` and give that file to --lora.`,
} as const;

/**
 * TL_ERR_LORA_FORMAT naming the first unknown keys and what they are, with `command`'s way out: convert
 * throws it unless the user passed --drop-unknown; generate (diffusers-copy.ts) before converting.
 */
export function unknownKeysError(
  file: string,
  unknownKeys: readonly string[],
  command: keyof typeof UNKNOWN_KEYS_REMEDY = 'convert',
): ToonloraError {
  const what = command === 'convert' ? 'convert does not understand' : 'toonlora cannot apply';
  return new ToonloraError(
    'TL_ERR_LORA_FORMAT',
    `${file}: ${unknownKeys.length} tensor(s) ${what}: ${namedKeys(unknownKeys, true)}. ${UNKNOWN_KEYS_REMEDY[command](file)}`,
    { details: { file, unknownKeys: unknownKeys.slice(0, SHOWN_KEYS), unknownCount: unknownKeys.length } },
  );
}

/**
 * The model without its unknown keys and without the modules that need one of them (a module with a
 * lora_mid), plus the warning saying what was dropped. Unchanged when there are no unknown keys.
 */
export function dropUnknown(model: LoraModel): { model: LoraModel; warning?: string } {
  if (model.unknownKeys.length === 0) return { model };
  const mid = modulesWithMid(model.unknownKeys);
  const kept = model.modules.filter((m) => !mid.has(kohyaModuleName(m.component, m.path)));
  const droppedModules = model.modules.length - kept.length;
  const moduleKeys = model.modules
    .filter((m) => !kept.includes(m))
    .reduce((n, m) => n + 2 + (m.magnitude ? 1 : 0) + (m.alphaSource === 'tensor' ? 1 : 0), 0);
  const kinds = [...new Set(model.unknownKeys.map(describeUnknownKey))].join('; ');
  const modulesPart =
    droppedModules > 0
      ? ` and ${droppedModules} module(s) that need them (${moduleKeys} more keys: a module is never written without its lora_mid)`
      : '';
  // Warnings count only what is written: recount them when modules were dropped.
  const warnings =
    droppedModules > 0
      ? [...orphanAlphaWarnings(model.orphanAlphas), ...moduleWarnings(model.format, kept)]
      : model.warnings;
  return {
    model: { ...model, modules: kept, unknownKeys: [], warnings },
    warning: `--drop-unknown: dropped ${model.unknownKeys.length} unknown key(s)${modulesPart} (${kinds}): ${namedKeys(model.unknownKeys, false)}.`,
  };
}

/** The kohya module name an unknown key belongs to: text before the first `.` (kohya) or PEFT's module path. */
function unknownKeyModule(key: string): string | undefined {
  if (/^lora_(unet|te\d?)_/.test(key))
    return key.slice(0, key.indexOf('.') < 0 ? undefined : key.indexOf('.'));
  const m = /^base_model\.model\.(.+)\.[^.]+$/.exec(key);
  if (!m) return undefined;
  const path = m[1] as string;
  return kohyaModuleName(path.startsWith('text_model.') ? 'text_encoder' : 'unet', path);
}

/**
 * {@link dropUnknown} for a LoKr model: drops the unknown keys and every module one of them belongs
 * to (a lokr_t2 core, a dora_scale, ...: the module would mean something else without it).
 */
export function dropUnknownLokr(model: LokrModel): { model: LokrModel; warning?: string } {
  if (model.unknownKeys.length === 0) return { model };
  const owners = new Set(model.unknownKeys.map(unknownKeyModule).filter((n): n is string => n !== undefined));
  const kept = model.modules.filter((m) => !owners.has(kohyaModuleName(m.component, m.path)));
  const dropped = model.modules.length - kept.length;
  const kinds = [...new Set(model.unknownKeys.map(describeUnknownKey))].join('; ');
  const modulesPart =
    dropped > 0
      ? ` and ${dropped} LoKr module(s) they belong to (a module is never written without one of its tensors)`
      : '';
  const warnings = dropped > 0 ? lokrModuleWarnings(model.format, kept) : model.warnings;
  return {
    model: { ...model, modules: kept, unknownKeys: [], warnings },
    warning: `--drop-unknown: dropped ${model.unknownKeys.length} unknown key(s)${modulesPart} (${kinds}): ${namedKeys(model.unknownKeys, false)}.`,
  };
}

/**
 * The model convert writes: `model` itself when it has no unknown keys; otherwise refused (TL_ERR_LORA_FORMAT
 * listing them) unless `drop`, then what `dropper` leaves, refused when no module is left. LoRA and LoKr alike.
 */
export function withoutUnknownKeys<
  M extends { readonly unknownKeys: readonly string[]; readonly modules: readonly unknown[] },
>(
  model: M,
  file: string,
  drop: boolean,
  dropper: (model: M) => { model: M; warning?: string },
): { model: M; warnings: string[] } {
  if (model.unknownKeys.length === 0) return { model, warnings: [] };
  if (!drop) throw unknownKeysError(file, model.unknownKeys);
  const dropped = dropper(model);
  if (dropped.model.modules.length === 0) {
    throw new ToonloraError(
      'TL_ERR_LORA_FORMAT',
      `${file}: no module is left once the unknown keys are dropped; nothing was written.`,
      { details: { file } },
    );
  }
  return { model: dropped.model, warnings: dropped.warning ? [dropped.warning] : [] };
}

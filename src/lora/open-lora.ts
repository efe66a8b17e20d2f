// src/lora/open-lora.ts — opens a LoRA given by path (a .safetensors file, or a PEFT adapter folder
// with adapter_model.safetensors + adapter_config.json, and optionally the text encoder's adapter in
// `text_encoder/`): validates the files, reads the small alpha tensors and the configs, and assembles
// the module list. The I/O edge of convert and inspect.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { decodeScalar } from './float-convert.js';
import { combineReaders } from './combined-reader.js';
import { detectLoraFormat } from './lora-keys.js';
import { isLokrKeys } from './lokr.js';
import { assembleLoraModel, type LoraModel } from './lora-model.js';
import { type PeftAdapterConfig, parsePeftConfig } from './peft-config.js';
import { openSafetensors, type SafetensorsReader } from './safetensors-read.js';
import type { LoraComponent } from './sd15-modules.js';
import { unreadAdapter } from './unknown-keys.js';

export interface OpenedLora {
  /** Reads every tensor of `model`, the `text_encoder/` adapter's included. */
  readonly reader: SafetensorsReader;
  readonly model: LoraModel;
  /** The adapter_config.json used, if any. */
  readonly configPath?: string;
}

/** Largest adapter_config.json read (real ones are a few KB). */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** The weights file of `input` (a file, or a folder's adapter_model.safetensors) and the adapter_config.json beside it. */
export async function resolveWeightsPath(input: string): Promise<{ weights: string; configPath?: string }> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(input);
  } catch {
    throw new ToonloraError(
      'TL_ERR_INPUT_NOT_FOUND',
      `${input}: no such file or folder. Give a .safetensors file or a PEFT adapter folder.`,
      {
        details: { file: input },
      },
    );
  }
  if (info.isDirectory()) {
    const weights = join(input, 'adapter_model.safetensors');
    const exists = await stat(weights).then(
      () => true,
      () => false,
    );
    if (!exists) {
      const textEncoderOnly = await textEncoderSubfolder(input);
      if (textEncoderOnly !== undefined) return textEncoderOnly;
      const bin = join(input, 'adapter_model.bin');
      const hasBin = await stat(bin).then(
        (s) => s.isFile(),
        () => false,
      );
      throw new ToonloraError(
        'TL_ERR_INPUT_NOT_FOUND',
        hasBin
          ? `${input}: folder has adapter_model.bin but no adapter_model.safetensors; toonlora does not read the .bin (a PyTorch pickle, which can run code when loaded). For an adapter you trust, re-save it as .safetensors: with PEFT, save_pretrained(out, safe_serialization=True) on the loaded PeftModel, or in the folder safetensors.torch.save_file(torch.load("adapter_model.bin"), "adapter_model.safetensors").`
          : `${input}: folder has no adapter_model.safetensors. Give a PEFT adapter folder or the .safetensors file itself.`,
        {
          details: { file: weights, ...(hasBin ? { found: bin } : {}) },
        },
      );
    }
    return { weights, configPath: join(input, 'adapter_config.json') };
  }
  return { weights: input, configPath: join(dirname(input), 'adapter_config.json') };
}

/**
 * A folder whose only adapter is `text_encoder/adapter_model.safetensors`: what convert --to peft wrote for a
 * text-encoder-only adapter before it wrote such adapters at the root (as PEFT saves them). Read as that
 * root adapter, so those folders still open.
 */
async function textEncoderSubfolder(
  input: string,
): Promise<{ weights: string; configPath: string } | undefined> {
  const folder = join(input, 'text_encoder');
  const weights = join(folder, 'adapter_model.safetensors');
  const isFile = await stat(weights).then(
    (s) => s.isFile(),
    () => false,
  );
  return isFile ? { weights, configPath: join(folder, 'adapter_config.json') } : undefined;
}

/** Parsed JSON of a small config file; undefined when it cannot be read (missing). */
export async function readJsonFile(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    const info = await stat(path);
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ToonloraError(
        'TL_ERR_LORA_FORMAT',
        `${path}: ${info.size} bytes is too large for an adapter config.`,
        { details: { file: path } },
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof ToonloraError) throw error;
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ToonloraError(
      'TL_ERR_LORA_FORMAT',
      `${path}: not valid JSON (${(error as Error).message}). Fix or remove the file.`,
      {
        details: { file: path },
      },
    );
  }
}

/** diffusers' `lora_adapter_metadata` (JSON, keys `unet.r`, `text_encoder.lora_alpha`, ...) split per component. */
function diffusersConfigs(
  metadata: Readonly<Record<string, string>>,
  file: string,
): Partial<Record<LoraComponent, PeftAdapterConfig>> {
  const raw = metadata.lora_adapter_metadata;
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ToonloraError(
      'TL_ERR_LORA_FORMAT',
      `${file}: metadata lora_adapter_metadata is not JSON. Re-save the LoRA.`,
      { details: { file } },
    );
  }
  const configs: Partial<Record<LoraComponent, PeftAdapterConfig>> = {};
  if (typeof parsed !== 'object' || parsed === null) return configs;
  for (const component of ['unet', 'text_encoder'] as const) {
    const entries = Object.entries(parsed).filter(([k]) => k.startsWith(`${component}.`));
    if (entries.length === 0) continue;
    const section = Object.fromEntries(entries.map(([k, v]) => [k.slice(component.length + 1), v]));
    configs[component] = parsePeftConfig(section, `${file} (lora_adapter_metadata ${component})`);
  }
  return configs;
}

/** Decodes every kohya `.alpha` tensor; an alpha must hold exactly one element (0-dim or [1]). */
export async function readAlphas(reader: SafetensorsReader, file: string): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  for (const entry of reader.header.tensors) {
    if (!entry.name.endsWith('.alpha')) continue;
    const elements = entry.shape.reduce((n, d) => n * d, 1);
    if (elements !== 1) {
      throw new ToonloraError(
        'TL_ERR_LORA_FORMAT',
        `${file}: alpha tensor "${entry.name}" has shape ${JSON.stringify(entry.shape)} (${elements} elements); an alpha must hold exactly one number. The file is broken: re-export the LoRA.`,
        { details: { file, tensor: entry.name, shape: entry.shape } },
      );
    }
    const value = decodeScalar(await reader.readTensor(entry), entry.dtype);
    if (value !== undefined) values.set(entry.name, value);
  }
  return values;
}

/** File name of the PEFT adapter weights, at the folder root (UNet) and in `text_encoder/`. */
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * The text encoder's adapter beside a UNet adapter (`<folder>/text_encoder/adapter_model.safetensors` + its
 * adapter_config.json, the layout the trainer and `convert --to peft` write), read by `assemble` (given the
 * reader, the weights path and the parsed config JSON, if any); undefined when the folder has none. The
 * reader is closed when `assemble` throws. Shared by the LoRA and the LoKr openers.
 */
export async function openTextEncoderBeside<M>(
  weights: string,
  assemble: (reader: SafetensorsReader, teWeights: string, rawConfig: unknown, configPath: string) => M,
): Promise<{ reader: SafetensorsReader; model: M } | undefined> {
  if (basename(weights) !== ADAPTER_WEIGHTS) return undefined;
  const folder = join(dirname(weights), 'text_encoder');
  const teWeights = join(folder, ADAPTER_WEIGHTS);
  if (!(await exists(teWeights))) return undefined;
  const reader = await openSafetensors(teWeights);
  try {
    const configPath = join(folder, 'adapter_config.json');
    return { reader, model: assemble(reader, teWeights, await readJsonFile(configPath), configPath) };
  } catch (error) {
    await reader.close();
    throw error;
  }
}

/** The text encoder's PEFT LoRA adapter beside a UNet adapter, as modules of the `text_encoder` component. */
function openTextEncoderAdapter(weights: string, rootConfig: PeftAdapterConfig | undefined) {
  return openTextEncoderBeside(weights, (reader, teWeights, raw, configPath): LoraModel => {
    const teKeys = reader.header.tensors.map((t) => t.name);
    if (detectLoraFormat(teKeys) !== 'peft' || isLokrKeys(teKeys)) {
      const why = isLokrKeys(teKeys)
        ? ', but it holds a LoKr adapter (lokr_* keys) beside a LoRA UNet adapter'
        : '';
      throw new ToonloraError(
        'TL_ERR_LORA_FORMAT',
        `${teWeights}: not a PEFT LoRA adapter (expected base_model.model.* lora_A / lora_B keys${why}). Fix or remove the text_encoder folder.`,
        { details: { file: teWeights } },
      );
    }
    const config = raw === undefined ? rootConfig : parsePeftConfig(raw, configPath);
    return assembleLoraModel(reader.header.tensors, {
      format: 'peft',
      file: join('text_encoder', ADAPTER_WEIGHTS),
      component: 'text_encoder',
      ...(config ? { configs: { text_encoder: config } } : {}),
    });
  });
}

/** What a UNet adapter and its `text_encoder/` adapter both have, LoRA or LoKr. */
interface AdapterParts<M extends { readonly component: string; readonly path: string }> {
  readonly format: LoraModel['format'];
  readonly modules: readonly M[];
  readonly unknownKeys: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * The two adapters' shared parts in one: modules in one list (same order rule as assembleLoraModel),
 * unknown keys together, the text encoder's warnings marked `text_encoder/:`. For LoRA and LoKr alike.
 */
export function mergeAdapterParts<M extends { readonly component: string; readonly path: string }>(
  unet: AdapterParts<M>,
  textEncoder: AdapterParts<M>,
): AdapterParts<M> {
  const modules = [...unet.modules, ...textEncoder.modules].sort((a, b) =>
    a.component + a.path < b.component + b.path ? -1 : 1,
  );
  return {
    format: unet.format,
    modules,
    unknownKeys: [...unet.unknownKeys, ...textEncoder.unknownKeys],
    warnings: [...unet.warnings, ...textEncoder.warnings.map((w) => `text_encoder/: ${w}`)],
  };
}

/** Why a valid safetensors file is not a LoRA: convert's refusal, inspect's warning. */
export const NO_LORA_KEYS =
  'no LoRA keys found (expected kohya lora_unet_*, PEFT base_model.model.* or diffusers unet.*). Is this a LoRA?';

export interface OpenLoraOptions {
  /**
   * Return a file whose keys match no LoRA format as format `unknown` (no modules, every key in
   * `unknownKeys`) instead of throwing, and a file with no complete LoRA module (LoHa, LyCORIS full)
   * with no modules; what `inspect` reports. convert leaves it off.
   */
  readonly allowUnknownFormat?: boolean;
}

/**
 * Opens a LoRA for reading. Close `reader` when done. LoKr files are refused here: open them with
 * `openAdapter` (open-adapter.ts), which opens either kind.
 * @throws TL_ERR_INPUT_NOT_FOUND, TL_ERR_SAFETENSORS, TL_ERR_LORA_FORMAT (unknown format unless
 *   allowUnknownFormat, a LoKr file, bad config, broken module).
 */
export async function openLora(input: string, options: OpenLoraOptions = {}): Promise<OpenedLora> {
  const { weights, configPath } = await resolveWeightsPath(input);
  const reader = await openSafetensors(weights);
  try {
    if (isLokrKeys(reader.header.tensors.map((t) => t.name))) {
      const file = basename(weights);
      throw new ToonloraError(
        'TL_ERR_LORA_FORMAT',
        `${file}: is a LoKr (LyCORIS Kronecker-product) adapter, not a LoRA; this step reads LoRA only.`,
        { details: { file, algorithm: 'lokr' } },
      );
    }
    return await openLoraReader(reader, weights, configPath, options);
  } catch (error) {
    await reader.close();
    throw error;
  }
}

/**
 * The LoRA model of an opened weights file (and the `text_encoder/` adapter beside it); the caller
 * closes `reader` on error, the returned reader on success.
 */
export async function openLoraReader(
  reader: SafetensorsReader,
  weights: string,
  configPath: string | undefined,
  options: OpenLoraOptions = {},
): Promise<OpenedLora> {
  const file = basename(weights);
  const keys = reader.header.tensors.map((t) => t.name);
  const format = detectLoraFormat(keys);
  if (format === 'unknown') {
    if (options.allowUnknownFormat) {
      return { reader, model: assembleLoraModel(reader.header.tensors, { format, file }) };
    }
    throw new ToonloraError('TL_ERR_LORA_FORMAT', `${file}: ${NO_LORA_KEYS}`, { details: { file } });
  }
  let configs: Partial<Record<LoraComponent, PeftAdapterConfig>> = {};
  let usedConfig: string | undefined;
  let rootConfig: PeftAdapterConfig | undefined;
  if (format === 'peft' && configPath) {
    const raw = await readJsonFile(configPath);
    if (raw !== undefined) {
      rootConfig = parsePeftConfig(raw, configPath);
      configs = { unet: rootConfig, text_encoder: rootConfig };
      usedConfig = configPath;
    }
  } else if (format === 'diffusers') {
    configs = diffusersConfigs(reader.header.metadata, file);
  }
  const alphaValues = format === 'kohya' ? await readAlphas(reader, file) : undefined;
  const unetModel = assembleLoraModel(reader.header.tensors, {
    format,
    file,
    configs,
    ...(alphaValues ? { alphaValues } : {}),
  });
  if (unetModel.modules.length === 0) {
    // inspect reports such a file (what it is, its loader compatibility); convert and generate refuse it.
    if (options.allowUnknownFormat) return { reader, model: unetModel };
    const other = unreadAdapter(unetModel.unknownKeys);
    throw new ToonloraError(
      'TL_ERR_LORA_FORMAT',
      `${file}: ${other ? `is ${other.description}.` : 'no complete LoRA module (down + up pair) found.'}`,
      {
        details: { file, ...(other ? { algorithm: other.kind } : {}) },
      },
    );
  }
  const textEncoder = format === 'peft' ? await openTextEncoderAdapter(weights, rootConfig) : undefined;
  if (!textEncoder) return { reader, model: unetModel, ...(usedConfig ? { configPath: usedConfig } : {}) };
  return {
    reader: combineReaders(reader, [textEncoder.reader]),
    model: mergeAdapterParts(unetModel, textEncoder.model),
    ...(usedConfig ? { configPath: usedConfig } : {}),
  };
}

// src/lora/open-adapter.ts — opens an adapter of either kind: a LoRA (open-lora.ts) or a LyCORIS LoKr
// (a kohya / LyCORIS `.lokr_*` file, or a PEFT LoKr adapter folder with its optional `text_encoder/`
// adapter), told apart by the tensor keys. The I/O edge of convert, inspect and the diffusers copy.
import { basename, join } from 'node:path';
import { ToonloraError } from '../errors.js';
import { combineReaders } from './combined-reader.js';
import { detectLokrFormat, isLokrKeys, type LokrModel } from './lokr.js';
import { assembleLokrModel } from './lokr-assemble.js';
import { readKohyaAlphas, withKohyaAlphas } from './lokr-kohya-alphas.js';
import {
  ADAPTER_WEIGHTS,
  type OpenedLora,
  mergeAdapterParts,
  type OpenLoraOptions,
  openLoraReader,
  openTextEncoderBeside,
  readAlphas,
  readJsonFile,
  resolveWeightsPath,
} from './open-lora.js';
import { type PeftLokrConfig, parsePeftLokrConfig } from './peft-config.js';
import { openSafetensors, type SafetensorsReader } from './safetensors-read.js';

export interface OpenedLokr {
  /** Reads every tensor of `model`, the `text_encoder/` adapter's included. */
  readonly reader: SafetensorsReader;
  readonly model: LokrModel;
  /** The adapter_config.json used, if any. */
  readonly configPath?: string;
}

export type OpenedAdapter =
  | ({ readonly algorithm: 'lora' } & OpenedLora)
  | ({ readonly algorithm: 'lokr' } & OpenedLokr);

/** Why a file with `.lokr_` keys yields no module: the naming is not one toonlora reads. */
const NO_LOKR_MODULE =
  'no LoKr module found (expected kohya / LyCORIS lora_unet_<module>.lokr_w1 ... or PEFT base_model.model.<module>.lokr_w1 ... keys).';

/** A PEFT LoKr folder's `text_encoder/` adapter, as modules of the `text_encoder` component. */
function openLokrTextEncoder(weights: string, rootConfig: PeftLokrConfig | undefined) {
  return openTextEncoderBeside(weights, (reader, teWeights, raw, configPath): LokrModel => {
    const keys = reader.header.tensors.map((t) => t.name);
    if (!isLokrKeys(keys) || detectLokrFormat(keys) !== 'peft') {
      throw new ToonloraError(
        'TL_ERR_LORA_FORMAT',
        `${teWeights}: not a PEFT LoKr adapter (expected base_model.model.* lokr_w1 / lokr_w2 keys, as the UNet adapter beside it); convert handles one kind of adapter per folder. Fix or remove the text_encoder folder.`,
        { details: { file: teWeights } },
      );
    }
    const config = raw === undefined ? rootConfig : parsePeftLokrConfig(raw, configPath);
    const model = assembleLokrModel(reader.header.tensors, {
      format: 'peft',
      file: join('text_encoder', ADAPTER_WEIGHTS),
      component: 'text_encoder',
      ...(config ? { config } : {}),
    });
    return withKohyaAlphas(model, readKohyaAlphas(reader.header.metadata));
  });
}

function mergeLokrModels(unet: LokrModel, textEncoder: LokrModel): LokrModel {
  const configs = { ...unet.configs, ...textEncoder.configs };
  return {
    ...mergeAdapterParts(unet, textEncoder),
    format: unet.format,
    loraKeys: [...unet.loraKeys, ...textEncoder.loraKeys],
    ...(Object.keys(configs).length > 0 ? { configs } : {}),
  };
}

/**
 * The LoKr model of an opened weights file whose keys hold `.lokr_` tensors (and of the
 * `text_encoder/` adapter beside a PEFT one). LoKr adapters are a few MB: every `.alpha` is read up
 * front, the factors stay in the file until convert streams them. The caller closes `reader` on error.
 */
async function openLokrReader(
  reader: SafetensorsReader,
  weights: string,
  configPath: string | undefined,
): Promise<OpenedLokr> {
  const file = basename(weights);
  const format = detectLokrFormat(reader.header.tensors.map((t) => t.name));
  let config: PeftLokrConfig | undefined;
  if (format === 'peft' && configPath) {
    const raw = await readJsonFile(configPath);
    if (raw !== undefined) config = parsePeftLokrConfig(raw, configPath);
  }
  const alphaValues = format === 'kohya' ? await readAlphas(reader, file) : undefined;
  const assembled = assembleLokrModel(reader.header.tensors, {
    format,
    file,
    ...(config ? { config } : {}),
    ...(alphaValues ? { alphaValues } : {}),
  });
  // A PEFT folder converted from a kohya file carries that file's full-full `.alpha` values.
  const root =
    format === 'peft' ? withKohyaAlphas(assembled, readKohyaAlphas(reader.header.metadata)) : assembled;
  if (root.modules.length === 0) {
    throw new ToonloraError('TL_ERR_LORA_FORMAT', `${file}: ${NO_LOKR_MODULE}`, { details: { file } });
  }
  const used = config ? { configPath: configPath as string } : {};
  const textEncoder = format === 'peft' ? await openLokrTextEncoder(weights, config) : undefined;
  if (!textEncoder) return { reader, model: root, ...used };
  return {
    reader: combineReaders(reader, [textEncoder.reader]),
    model: mergeLokrModels(root, textEncoder.model),
    ...used,
  };
}

/**
 * Opens a LoRA or LoKr adapter (a .safetensors file or a PEFT adapter folder). Close `reader` when done.
 * @throws TL_ERR_INPUT_NOT_FOUND, TL_ERR_SAFETENSORS, TL_ERR_LORA_FORMAT (see openLora; for LoKr: no
 *   module in a known naming, a module missing a factor, a config that does not fit the weights).
 */
export async function openAdapter(input: string, options: OpenLoraOptions = {}): Promise<OpenedAdapter> {
  const { weights, configPath } = await resolveWeightsPath(input);
  const reader = await openSafetensors(weights);
  try {
    if (isLokrKeys(reader.header.tensors.map((t) => t.name))) {
      return { algorithm: 'lokr', ...(await openLokrReader(reader, weights, configPath)) };
    }
    return { algorithm: 'lora', ...(await openLoraReader(reader, weights, configPath, options)) };
  } catch (error) {
    await reader.close();
    throw error;
  }
}

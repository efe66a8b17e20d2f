// src/lora/sdxl-check.ts — tells an SDXL LoRA apart by its names and metadata (pure), so convert
// refuses it by name even with --drop-unknown: toonlora is SD1.5 only, and an SDXL file with its
// second text encoder dropped is written as a hybrid (lora_te1_ renamed to SD1.5's lora_te_, UNet
// modules half diffusers, half LDM names) that loads neither as SDXL nor as SD1.5.
import { ToonloraError } from '../errors.js';

/** A UNet attention's transformer block index (SD1.5 has one block per attention, index 0; SDXL up to 10). */
const UNET_TRANSFORMER_BLOCK =
  /(?:input_blocks|output_blocks|middle_block|down_blocks|up_blocks|mid_block)[._].*?transformer_blocks[._](\d+)/;
/** `xl` as a word of a model spec architecture (`stable-diffusion-xl-v1-base/lora`), or `sdxl`. */
const XL_ARCHITECTURE = /(?:^|[^a-z])xl(?:[^a-z]|$)|sdxl/i;

/**
 * Why a file looks like an SDXL LoRA, one phrase per signal found: kohya's SDXL text-encoder prefixes
 * (lora_te1_ / lora_te2_), `ss_base_model_version` sdxl_*, an XL `modelspec.architecture`, a UNet
 * transformer block past index 0. Empty for an SD1.5 file.
 */
export function sdxlSignals(
  keys: readonly string[],
  metadata: Readonly<Record<string, string>> | undefined,
): string[] {
  const signals: string[] = [];
  for (const prefix of ['lora_te1_', 'lora_te2_']) {
    const count = keys.filter((k) => k.startsWith(prefix)).length;
    if (count > 0) signals.push(`${count} ${prefix} key(s): SDXL's text encoders`);
  }
  const version = metadata?.ss_base_model_version;
  if (version?.toLowerCase().startsWith('sdxl')) signals.push(`ss_base_model_version "${version}"`);
  const architecture = metadata?.['modelspec.architecture'];
  if (architecture && XL_ARCHITECTURE.test(architecture))
    signals.push(`modelspec.architecture "${architecture}"`);
  const deep = keys.find((k) => Number(UNET_TRANSFORMER_BLOCK.exec(k)?.[1] ?? 0) > 0);
  if (deep) signals.push(`"${deep}" (SD1.5 has transformer block 0 only)`);
  return signals;
}

/**
 * Refuses an SDXL LoRA by name, whatever convert's options (--drop-unknown included).
 * @throws TL_ERR_LORA_FORMAT naming the signals found.
 */
export function assertNotSdxl(
  keys: readonly string[],
  metadata: Readonly<Record<string, string>> | undefined,
  file: string,
): void {
  const signals = sdxlSignals(keys, metadata);
  if (signals.length === 0) return;
  throw new ToonloraError(
    'TL_ERR_LORA_FORMAT',
    `${file}: is an SDXL LoRA (${signals.join('; ')}); toonlora is SD1.5 only, so it cannot convert it, not even with --drop-unknown (the result would load neither as SDXL nor as SD1.5). Use it as it is with an SDXL model in the WebUI or ComfyUI.`,
    { details: { file, sdxl: signals } },
  );
}

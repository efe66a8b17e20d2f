// src/lora/sdxl-check.ts — tells an SDXL LoRA apart by its names and metadata (pure), so convert
// refuses it by name even with --drop-unknown, generate refuses it as SDXL (not with the advice to
// convert --drop-unknown its lora_te2_ keys) and inspect says so: toonlora is SD1.5 only, and an SDXL
// file with its second text encoder dropped is written as a hybrid (lora_te1_ renamed to SD1.5's
// lora_te_, UNet modules half diffusers, half LDM names) that loads neither as SDXL nor as SD1.5.
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

/** What each command says it cannot do with an SDXL LoRA, after `is an SDXL LoRA (signals); `. */
const SDXL_REFUSAL = {
  convert:
    'toonlora is SD1.5 only, so it cannot convert it, not even with --drop-unknown (the result would load neither as SDXL nor as SD1.5)',
  generate:
    'toonlora generates with SD1.5 base models only, which cannot use an SDXL LoRA (with or without its lora_te2_ keys)',
} as const;

/**
 * Refuses an SDXL LoRA by name: convert whatever its options (--drop-unknown included), generate
 * before anything else (diffusers-copy.ts), instead of its unknown-keys advice to convert --drop-unknown.
 * @throws TL_ERR_LORA_FORMAT naming the signals found.
 */
export function assertNotSdxl(
  keys: readonly string[],
  metadata: Readonly<Record<string, string>> | undefined,
  file: string,
  command: keyof typeof SDXL_REFUSAL = 'convert',
): void {
  const signals = sdxlSignals(keys, metadata);
  if (signals.length === 0) return;
  throw new ToonloraError(
    'TL_ERR_LORA_FORMAT',
    `${file}: is an SDXL LoRA (${signals.join('; ')}); ${SDXL_REFUSAL[command]}. Use it as it is with an SDXL model in the WebUI or ComfyUI.`,
    { details: { file, sdxl: signals } },
  );
}

/** inspect's warning for an SDXL LoRA ({@link sdxlSignals} not empty): what toonlora does with it, and where it loads. */
export function sdxlWarning(signals: readonly string[]): string {
  return `this is an SDXL LoRA (${signals.join('; ')}): toonlora is SD1.5 only, so convert and generate refuse it (--drop-unknown too), and an SD1.5 model cannot use it in any loader. Use it as it is with an SDXL model in the WebUI or ComfyUI.`;
}

/** The note each loader verdict of an SDXL LoRA gets in inspect (its keys were checked against SD1.5 names). */
export const SDXL_VERDICT_NOTE =
  "an SDXL LoRA, checked here against SD1.5's module names (every loader puts its lora_te1_ keys, SDXL's first text encoder, on SD1.5's): with an SD1.5 model it loads wrong or not at all. Load it with an SDXL model.";

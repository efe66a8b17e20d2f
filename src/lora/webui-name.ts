// src/lora/webui-name.ts — a LoRA's name as the AUTOMATIC1111 WebUI can parse it back: in `<lora:NAME:0.8>` (a `:`
// ends the name, a `>` the tag), in `Lora hashes: "NAME: hash, ..."` (a `"` ends the value, a `,` or `:` splits it)
// and as its downloaded file's name (which WebUI matches against the `<lora:NAME>`). Each of those characters
// becomes `_`; the name shown elsewhere (the LoRA list, its page) is unchanged.
// trainer/toonlora_trainer/image_files.py webui_lora_name is the same rule for the PNGs' `parameters` text.

/** The characters WebUI's parsers split a LoRA name at. */
const WEBUI_BREAKING = /[:>",]/g;

/** `name` with `:`, `>`, `"` and `,` replaced by `_` (`mina: v2` → `mina_ v2`). */
export function webuiLoraName(name: string): string {
  return name.replace(WEBUI_BREAKING, '_');
}

/** The A1111 / Forge prompt snippet for a LoRA: `<lora:NAME:0.8>` plus the trigger words (the server's and the web
 * page's, which shows it when the server's inspect is unavailable). */
export function a1111Snippet(name: string, trigger: string, weight = 0.8): string {
  return `<lora:${webuiLoraName(name)}:${weight}>, ${trigger}`;
}

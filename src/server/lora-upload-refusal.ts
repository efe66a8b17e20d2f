// src/server/lora-upload-refusal.ts — why the web app's LoRA upload refuses a file (422), in the web app's words
// (pure): inspect's warnings as data (src/lora/inspect-warnings.ts) worded for someone who uploads on the LoRA page,
// where the CLI's way out (`convert --to diffusers`, `--drop-unknown`) is no way out, and for the LoRA page's inspect
// panel. A module note (alpha assumed, DoRA axes) is not why a file is refused: the refusal leaves it out.
import type { InspectResult } from '../lora/inspect.js';
import { type InspectWarning, type InspectWarningWords, warningInWords } from '../lora/inspect-warnings.js';
import { NO_LORA_KEYS } from '../lora/open-lora.js';

/** The LoRA upload's words for each inspect warning ('' leaves it out of the refusal). */
export const UPLOAD_WARNING_WORDS: InspectWarningWords = {
  note: () => '',
  sdxl: ({ signals }) =>
    `this is an SDXL LoRA (${signals.join('; ')}): toonlora is SD1.5 only, so Generate cannot use it, and an SD1.5 model cannot use it in any loader. Use it as it is with an SDXL model in the WebUI or ComfyUI.`,
  'other-base': ({ base, evidence }) =>
    `this LoRA looks made for ${base}, not SD1.5 (${evidence.join('; ')}): on an SD1.5 base its weights do not fit (Generate would stop at a size mismatch). Use it with the base it was trained for.`,
  'no-tensors': () => 'the file holds no tensors (only metadata), so no LoRA module.',
  'no-lora-keys': ({ unmapped }) => `${NO_LORA_KEYS} All ${unmapped} tensor(s) are unmapped.`,
  'unread-adapter': ({ description }) => `The file is ${description}.`,
  'no-complete-module': () => 'no complete LoRA module (down + up pair) found.',
  'not-sd15': ({ count }) => `${count} module(s) are not SD1.5 modules (another base model?).`,
  'unknown-keys': ({ count, kinds, adapter }) =>
    `${count} tensor(s) belong to no ${adapter} module (${kinds}); Generate does not leave them out, since the LoRA would then generate differently from where it was trained.`,
  'lora-in-lokr': ({ count, example }) =>
    `${count} LoRA tensor(s) (e.g. ${example}) sit beside the LoKr modules.`,
};

/**
 * inspect's warnings as the LoRA page's inspect panel shows them (GET /api/loras/:id/inspect): each kind in the
 * upload's words, a module note (alpha assumed, DoRA axes) as inspect wrote it, since notes are text, not data.
 */
export function inspectPanelWarnings(warnings: readonly InspectWarning[]): string[] {
  return warnings.map((warning) =>
    warning.kind === 'note' ? warning.text : warningInWords(warning, UPLOAD_WARNING_WORDS),
  );
}

/**
 * Why generate cannot use the LoRA inspect describes, in the web app's words (for an SDXL LoRA, only that), or
 * undefined when it can: no LoRA keys, no complete module (LoHa, LyCORIS full), an SDXL LoRA, modules of another base
 * model, or tensors that belong to no module (generate refuses them).
 */
export function uploadRefusal(
  facts: Pick<InspectResult, 'format' | 'modules' | 'unknownKeys'>,
  warnings: readonly InspectWarning[],
  sdxl: readonly string[],
): string | undefined {
  const unusable =
    facts.format === 'unknown' ||
    facts.modules.length === 0 ||
    sdxl.length > 0 ||
    facts.modules.some((m) => !m.sd15) ||
    facts.unknownKeys.length > 0;
  if (!unusable) return undefined;
  if (sdxl.length > 0) return warningInWords({ kind: 'sdxl', signals: sdxl }, UPLOAD_WARNING_WORDS);
  const said = warnings.map((warning) => warningInWords(warning, UPLOAD_WARNING_WORDS)).filter(Boolean);
  return said.join(' ') || 'it holds no SD1.5 LoRA module toonlora can apply.';
}

/** The 422's message for `name` refused for `refusal`. */
export function uploadRefusalMessage(name: string, refusal: string): string {
  return `${name}: not an SD1.5 LoRA toonlora can generate with, so nothing was stored: ${refusal}`;
}

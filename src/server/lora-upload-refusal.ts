// src/server/lora-upload-refusal.ts — why the web app's LoRA upload refuses a file (422), in the web app's words
// (pure): inspect's warnings as data (src/lora/inspect-warnings.ts) worded for someone who uploads on the LoRA page,
// where the CLI's way out (`convert --to diffusers`, `--drop-unknown`) is no way out, and for the LoRA page's inspect
// panel, with the loader verdicts' notes (src/lora/verdict-notes.ts): the way out there is the page's downloads and
// Generate. A module note (alpha assumed, DoRA axes) is not why a file is refused: the refusal leaves it out.
import { type DoraWayOutWords, doraEffect, doraModuleNoteText, doraNoteText } from '../lora/dora-loaders.js';
import type { InspectResult } from '../lora/inspect.js';
import { type InspectWarning, type InspectWarningWords, warningInWords } from '../lora/inspect-warnings.js';
import {
  DIFFUSERS_KOHYA_ALPHA_FACTS,
  diffusersConv1x1Facts,
  diffusersLostTextEncoderFacts,
  type LoaderVerdict,
} from '../lora/loader-compat.js';
import { NO_LORA_KEYS } from '../lora/open-lora.js';
import { type LoaderFindings, type VerdictNoteWords, verdictInWords } from '../lora/verdict-notes.js';

/** The LoRA upload's words for each inspect warning ('' leaves it out of the refusal). */
export const UPLOAD_WARNING_WORDS: InspectWarningWords = {
  note: () => '',
  dora: () => '',
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

/** The DoRA notes' way out on the LoRA page: its downloads and Generate (not `convert --to`). */
export const PANEL_DORA_WORDS: DoraWayOutWords = {
  inputColumnsOnly: 'only its kohya download keeps it',
  diffusersCopy: "the LoRA page's diffusers download, what Generate loads",
  diffusersCopyRefused: 'its diffusers download and Generate refuse the file',
};

/** The toonlora way out of several diffusers notes, on the LoRA page. */
const PANEL_DIFFUSERS_COPY = "the LoRA page's diffusers download";

/** The LoRA page's words for each loader verdict note: its downloads and Generate as the way out. */
export const PANEL_VERDICT_NOTE_WORDS: VerdictNoteWords = {
  text: ({ text }) => text,
  'peft-keys': () =>
    `PEFT adapter keys: load with PeftModel.from_pretrained, or use ${PANEL_DIFFUSERS_COPY} for load_lora_weights.`,
  'lost-text-encoder': ({ lost }) =>
    `${diffusersLostTextEncoderFacts(lost)} ${PANEL_DIFFUSERS_COPY} is a file diffusers loads whole (Generate makes one itself).`,
  'ldm-names': () =>
    `module names of the original LDM UNet (lora_unet_input_blocks_…): ${PANEL_DIFFUSERS_COPY} has them with diffusers names (Generate renames them itself).`,
  conv1x1: ({ flat }) =>
    `${diffusersConv1x1Facts(flat)}; ${PANEL_DIFFUSERS_COPY} has them as 1x1 convolutions (Generate reshapes them itself).`,
  lokr: () =>
    "LoKr: diffusers' SD1.5 load_lora_weights has no LoKr format and raises on lokr_* keys; the kohya / LyCORIS file (the LoRA page's kohya download) loads in the WebUI, ComfyUI and Generate.",
  'text-model-targets': () =>
    `lora_adapter_metadata names text-encoder target_modules with 'text_model.', which transformers 5's CLIPTextModel does not have: load_lora_weights refuses the file ("Target modules ... not found"). ${PANEL_DIFFUSERS_COPY} names them without it (Generate does so itself).`,
  'kohya-alphas': ({ count, first }) =>
    `${DIFFUSERS_KOHYA_ALPHA_FACTS} Use ${PANEL_DIFFUSERS_COPY} for diffusers. Here ${count} module(s), e.g. ${first.module}: alpha ${first.alpha}, diffusers applies ${first.applied}.`,
  dora: ({ loader, axis, count, format }) =>
    doraNoteText(axis, count, doraEffect(loader, axis, format, PANEL_DORA_WORDS).text),
};

/**
 * inspect's warnings as the LoRA page's inspect panel shows them (GET /api/loras/:id/inspect): each kind in the
 * upload's words, a DoRA module note with the page's way out, any other module note (alpha assumed) as inspect wrote it.
 */
export function inspectPanelWarnings(warnings: readonly InspectWarning[]): string[] {
  return warnings.map((warning) => {
    if (warning.kind === 'note') return warning.text;
    if (warning.kind === 'dora') return doraModuleNoteText(warning, PANEL_DORA_WORDS);
    return warningInWords(warning, UPLOAD_WARNING_WORDS);
  });
}

/** inspect's loader verdicts as the LoRA page's inspect panel shows them: notes in the page's words. */
export function inspectPanelVerdicts(verdicts: readonly LoaderFindings[]): LoaderVerdict[] {
  return verdicts.map((verdict) => verdictInWords(verdict, PANEL_VERDICT_NOTE_WORDS));
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

// src/lora/inspect-warnings.ts — inspect's warnings as data: a kind plus its values (an SDXL LoRA, another base, no
// LoRA keys, an adapter kind toonlora does not read, unknown tensors …), and inspect's words for each (what
// `toonlora inspect` prints, its `warnings`). The server words the same data for the web app's LoRA upload refusal
// (src/server/lora-upload-refusal.ts); both are an InspectWarningWords, so a new kind does not compile until each
// side words it.
import { type DoraModuleNote, doraModuleNoteText } from './dora-loaders.js';
import { NO_LORA_KEYS } from './open-lora.js';
import { type OtherBase, otherBaseCliWords } from './other-base.js';
import { sdxlWarning } from './sdxl-check.js';

export type InspectWarning =
  /** A note on the modules or the run's record (alpha assumed, DoRA axes, orphan alphas …): words as they are. */
  | { readonly kind: 'note'; readonly text: string }
  /** DoRA modules with a magnitude along one axis, and what each loader does with it (dora-loaders.ts). */
  | ({ readonly kind: 'dora' } & DoraModuleNote)
  /** An SDXL LoRA, by the signals found (sdxl-check.ts). */
  | { readonly kind: 'sdxl'; readonly signals: readonly string[] }
  /** A LoRA made for another base model than SD1.5 (other-base.ts). */
  | ({ readonly kind: 'other-base' } & OtherBase)
  /** A file of metadata only. */
  | { readonly kind: 'no-tensors' }
  /** Tensors, none of them a LoRA key (`unmapped`: how many). */
  | { readonly kind: 'no-lora-keys'; readonly unmapped: number }
  /** An adapter kind toonlora does not read (LoHa, LyCORIS full): unknown-keys.ts's description. */
  | { readonly kind: 'unread-adapter'; readonly description: string }
  /** LoRA tensors, but no down + up pair. */
  | { readonly kind: 'no-complete-module' }
  /** Modules that are not SD1.5's (`count`). */
  | { readonly kind: 'not-sd15'; readonly count: number }
  /** Tensors of no module: how many, their kinds in words, the adapter, whether the LoRA is SDXL's. */
  | {
      readonly kind: 'unknown-keys';
      readonly count: number;
      readonly kinds: string;
      readonly adapter: 'LoRA' | 'LoKr';
      readonly sdxl: boolean;
    }
  /** LoRA tensors beside a LoKr file's modules (`count`, `example`: one of their keys). */
  | { readonly kind: 'lora-in-lokr'; readonly count: number; readonly example: string };

/** One side's words for every warning kind (inspect's: INSPECT_WARNING_WORDS; the LoRA upload's: the server's). */
export type InspectWarningWords = {
  readonly [K in InspectWarning['kind']]: (warning: Extract<InspectWarning, { kind: K }>) => string;
};

/** inspect's words: what `toonlora inspect` (text and `--json`) says. */
export const INSPECT_WARNING_WORDS: InspectWarningWords = {
  note: ({ text }) => text,
  dora: (note) => doraModuleNoteText(note),
  sdxl: ({ signals }) => sdxlWarning(signals),
  'other-base': (found) => otherBaseCliWords(found),
  'no-tensors': () =>
    'the file holds no tensors (only metadata), so no LoRA module: no loader loads anything, and convert, generate and upload refuse it.',
  'no-lora-keys': ({ unmapped }) =>
    `${NO_LORA_KEYS} All ${unmapped} tensor(s) are unmapped; convert refuses the file.`,
  'unread-adapter': ({ description }) => `The file is ${description}. convert and generate refuse it.`,
  'no-complete-module': () =>
    'no complete LoRA module (down + up pair) found: convert and generate refuse the file.',
  'not-sd15': ({ count }) => `${count} module(s) are not SD1.5 modules (another base model?).`,
  'unknown-keys': ({ count, kinds, adapter, sdxl }) =>
    `${count} tensor(s) belong to no ${adapter} module (${kinds}); ${
      sdxl
        ? 'convert and generate refuse an SDXL LoRA, with or without them'
        : 'convert refuses the file unless --drop-unknown'
    }.`,
  'lora-in-lokr': ({ count, example }) =>
    `${count} LoRA tensor(s) (e.g. ${example}) sit beside the LoKr modules; convert refuses a file that mixes LoRA and LoKr.`,
};

/** `warning` in `words`. */
export function warningInWords(warning: InspectWarning, words: InspectWarningWords): string {
  return (words[warning.kind] as (warning: InspectWarning) => string)(warning);
}

/** `warnings` in inspect's words. */
export function inspectWarningTexts(warnings: readonly InspectWarning[]): string[] {
  return warnings.map((warning) => warningInWords(warning, INSPECT_WARNING_WORDS));
}

/** Plain texts (module notes, a run record's warning) as warnings. */
export function notes(texts: readonly string[]): InspectWarning[] {
  return texts.map((text) => ({ kind: 'note', text }));
}

/**
 * A model's warnings (`texts`, in inspect's words) as warnings, each DoRA note among them as its data (`dora`: the
 * model's, lora-model.ts doraModuleNotes), where inspect's words for it stand.
 */
export function moduleNotes(texts: readonly string[], dora: readonly DoraModuleNote[]): InspectWarning[] {
  const byText = new Map(dora.map((note) => [doraModuleNoteText(note), note]));
  return texts.map((text) => {
    const note = byText.get(text);
    return note ? { kind: 'dora', ...note } : { kind: 'note', text };
  });
}

// src/lora/verdict-notes.ts — the loader verdicts' notes as data (a kind plus its values: diffusers' PEFT keys, LDM
// names, 1x1 convolutions, lost text-encoder modules, LoKr, text_model targets, misread alphas, a DoRA magnitude it
// does not apply; any other note as its text) and inspect's words for each (what `toonlora inspect` prints, its
// --json `compatibility[].notes`). The server words the same data for the web app's LoRA page
// (src/server/lora-upload-refusal.ts); both are a VerdictNoteWords, so a new kind does not compile until each side
// words it.
import { type DoraAxis, doraEffect, doraNoteText } from './dora-loaders.js';
import { DIFFUSERS_KOHYA_ALPHA_NOTE, type MisreadAlpha } from './diffusers-alphas.js';
import {
  DIFFUSERS_LDM_NOTE,
  DIFFUSERS_LOKR_NOTE,
  DIFFUSERS_PEFT_KEYS_NOTE,
  DIFFUSERS_TEXT_MODEL_TARGETS_NOTE,
  diffusersConv1x1Note,
  diffusersLostTextEncoderNote,
  type LostTextEncoderModules,
} from './loader-diffusers.js';
import type { LoaderName, LoaderVerdict } from './loader-verdict.js';
import type { LoraFormat } from './lora-keys.js';

export type VerdictNote =
  /** A note with no way out to word (a loader refuses or loads nothing, an SDXL LoRA …): words as they are. */
  | { readonly kind: 'text'; readonly text: string }
  /** PEFT adapter keys (`base_model.model.`), which load_lora_weights does not read. */
  | { readonly kind: 'peft-keys' }
  /** kohya text-encoder q/k/v_proj modules diffusers loses (loader-diffusers.ts). */
  | { readonly kind: 'lost-text-encoder'; readonly lost: LostTextEncoderModules }
  /** kohya module names of the original LDM UNet. */
  | { readonly kind: 'ldm-names' }
  /** 1x1-convolution modules stored as 2-D weights (`flat`: their kohya names). */
  | { readonly kind: 'conv1x1'; readonly flat: readonly string[] }
  /** LoKr keys, which diffusers' SD1.5 loader has no format for. */
  | { readonly kind: 'lokr' }
  /** lora_adapter_metadata naming text-encoder targets with `text_model.`. */
  | { readonly kind: 'text-model-targets' }
  /** kohya alphas diffusers applies wrong (`count` modules, the first of them). */
  | { readonly kind: 'kohya-alphas'; readonly count: number; readonly first: MisreadAlpha }
  /** `count` DoRA modules whose magnitude, stored along `axis` in a `format` file, `loader` does not apply. */
  | {
      readonly kind: 'dora';
      readonly loader: LoaderName;
      readonly axis: DoraAxis;
      readonly count: number;
      readonly format: LoraFormat;
    };

/** A loader's verdict with its notes as data ({@link verdictInWords} words them). */
export interface LoaderFindings extends Omit<LoaderVerdict, 'notes'> {
  readonly notes: readonly VerdictNote[];
}

/** One side's words for every verdict note kind (inspect's: INSPECT_VERDICT_NOTE_WORDS; the LoRA page's: the server's). */
export type VerdictNoteWords = {
  readonly [K in VerdictNote['kind']]: (note: Extract<VerdictNote, { kind: K }>) => string;
};

/** inspect's words: what `toonlora inspect` (text and `--json`) says. */
export const INSPECT_VERDICT_NOTE_WORDS: VerdictNoteWords = {
  text: ({ text }) => text,
  'peft-keys': () => DIFFUSERS_PEFT_KEYS_NOTE,
  'lost-text-encoder': ({ lost }) => diffusersLostTextEncoderNote(lost),
  'ldm-names': () => DIFFUSERS_LDM_NOTE,
  conv1x1: ({ flat }) => diffusersConv1x1Note(flat),
  lokr: () => DIFFUSERS_LOKR_NOTE,
  'text-model-targets': () => DIFFUSERS_TEXT_MODEL_TARGETS_NOTE,
  'kohya-alphas': ({ count, first }) =>
    `${DIFFUSERS_KOHYA_ALPHA_NOTE} Here ${count} module(s), e.g. ${first.module}: alpha ${first.alpha}, diffusers applies ${first.applied}.`,
  dora: ({ loader, axis, count, format }) => doraNoteText(axis, count, doraEffect(loader, axis, format).text),
};

/** A note as text: its `text`, or its data in `words`. */
export function noteInWords(note: VerdictNote, words: VerdictNoteWords): string {
  return (words[note.kind] as (note: VerdictNote) => string)(note);
}

/** `findings` with its notes in `words`. */
export function verdictInWords(findings: LoaderFindings, words: VerdictNoteWords): LoaderVerdict {
  return { ...findings, notes: findings.notes.map((note) => noteInWords(note, words)) };
}

/** A verdict whose notes are all plain text (A1111's, ComfyUI's), as findings. */
export function textFindings(verdict: LoaderVerdict): LoaderFindings {
  return { ...verdict, notes: verdict.notes.map((text) => ({ kind: 'text', text })) };
}

/** Whether a note's way out is toonlora's convert or generate (an SDXL LoRA's verdicts leave those out). */
export function namesToonloraWayOut(note: VerdictNote): boolean {
  if (note.kind === 'dora') return note.loader === 'diffusers' && note.format === 'kohya';
  return note.kind !== 'text';
}

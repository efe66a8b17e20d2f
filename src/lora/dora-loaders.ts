// src/lora/dora-loaders.ts — what each loader does with a DoRA magnitude (kohya `dora_scale`, PEFT
// `lora_magnitude_vector`), by the axis it is stored along (pure). One table feeds both inspect's
// per-loader verdicts and the DoRA warning, so a verdict never says "ok" where the warning says the
// loader applies the magnitude wrongly. Read from the loaders' code:
// - AUTOMATIC1111 stable-diffusion-webui extensions-builtin/Lora/network.py
//   `NetworkModule.apply_weight_decompose` (v1.9 - v1.10): divides by the merged weight's norm per
//   *input column* (`transpose(0, 1)…norm(dim=1)…transpose(0, 1)`), whatever the dora_scale's shape, so an
//   `[out, 1]` scale broadcasts against `[1, in]` norms into a wrong `[out, in]` factor;
// - ComfyUI comfy/weight_adapter/base.py `weight_decompose` (2025, commit 9c0cf36c): per output row when
//   `dora_scale.shape[0]` is the weight's out features (normalised by the base weight's row norms),
//   else per input column of the merged weight;
// - diffusers 0.42.1: a kohya file's dora_scale is filtered out, plain LoRA is applied (loaders/lora_pipeline.py
//   `lora_state_dict`, measured in trainer/tests/test_lora_interop_dora.py); a diffusers file's
//   `lora_magnitude_vector` loads into PEFT's DoRA layer (`use_dora`), which holds one magnitude per
//   output row (peft/tuners/lora/dora.py), so a per-input-column one does not fit it.
import { DIFFUSERS_DORA_NOTE } from './loader-diffusers.js';
import type { LoaderName } from './loader-verdict.js';
import type { LoraFormat } from './lora-keys.js';
import type { LoaderFindings, VerdictNote } from './verdict-notes.js';

/** The axis a DoRA magnitude runs along (lora-model.ts `doraAxis` reads it from the shapes). */
export type DoraAxis = 'output rows' | 'input columns' | 'unknown';

/** What a loader does with a DoRA magnitude of one axis. */
export interface DoraEffect {
  /** Whether the loader applies the magnitude as the trainer meant it. */
  readonly applied: boolean;
  /** What it does, as a sentence part starting with the loader's name. */
  readonly text: string;
}

const A1111: Readonly<Record<DoraAxis, DoraEffect>> = {
  'output rows': {
    applied: false,
    text: 'AUTOMATIC1111 applies it wrongly (its apply_weight_decompose normalises per input column, whatever the shape)',
  },
  'input columns': { applied: true, text: 'AUTOMATIC1111 applies it per input column' },
  unknown: { applied: false, text: 'AUTOMATIC1111 fails on it or applies it wrongly' },
};

const COMFYUI: Readonly<Record<DoraAxis, DoraEffect>> = {
  'output rows': {
    applied: true,
    text: 'ComfyUI (2025 and later) detects the axis and applies it per output row (older ComfyUI normalises per input column, as AUTOMATIC1111)',
  },
  'input columns': { applied: true, text: 'ComfyUI applies it per input column' },
  unknown: { applied: false, text: 'ComfyUI fails on it or applies it wrongly' },
};

/**
 * The parts of the DoRA notes that name a way out, which each side words its own way: inspect's (the CLI's
 * commands, INSPECT_DORA_WORDS) and the web app's LoRA page's (src/server/lora-upload-refusal.ts).
 */
export interface DoraWayOutWords {
  /** Where a magnitude per input column can go (PEFT cannot hold it). */
  readonly inputColumnsOnly: string;
  /** What makes a kohya file's diffusers format, which keeps a per-output-row magnitude. */
  readonly diffusersCopy: string;
  /** What refuses a kohya file whose magnitude PEFT cannot hold. */
  readonly diffusersCopyRefused: string;
}

/** inspect's words: the CLI's commands. */
export const INSPECT_DORA_WORDS: DoraWayOutWords = {
  inputColumnsOnly: 'convert --to kohya only',
  diffusersCopy: 'convert --to diffusers, what toonlora generate loads',
  diffusersCopyRefused: 'convert --to diffusers and toonlora generate refuse the file',
};

/**
 * diffusers by the file's format: a kohya file's dora_scale is dropped (plain LoRA); its diffusers copy holds
 * PEFT's per-output-row magnitude, so only that axis converts (convert --to diffusers and generate refuse others).
 */
function diffusersEffect(axis: DoraAxis, format: LoraFormat, words: DoraWayOutWords): DoraEffect {
  if (format === 'kohya') {
    return axis === 'output rows'
      ? {
          applied: false,
          text: `diffusers' load_lora_weights drops a kohya file's dora_scale and loads it as plain LoRA; its diffusers format (${words.diffusersCopy}) keeps and applies it`,
        }
      : {
          applied: false,
          text: `diffusers' load_lora_weights drops a kohya file's dora_scale and loads it as plain LoRA, and PEFT cannot hold this axis, so ${words.diffusersCopyRefused}`,
        };
  }
  return axis === 'output rows'
    ? { applied: true, text: 'diffusers applies it (PEFT use_dora)' }
    : { applied: false, text: "diffusers cannot apply it (PEFT's DoRA holds one magnitude per output row)" };
}

/** What `loader` does with a DoRA magnitude stored along `axis` in a file of `format` (its way out in `words`). */
export function doraEffect(
  loader: LoaderName,
  axis: DoraAxis,
  format: LoraFormat,
  words: DoraWayOutWords = INSPECT_DORA_WORDS,
): DoraEffect {
  if (loader === 'a1111') return A1111[axis];
  if (loader === 'comfyui') return COMFYUI[axis];
  return diffusersEffect(axis, format, words);
}

const LOADERS: readonly LoaderName[] = ['a1111', 'comfyui', 'diffusers'];

/** The warning's loader part: every loader's effect, in one sentence. */
export function doraLoadersText(
  axis: DoraAxis,
  format: LoraFormat,
  words: DoraWayOutWords = INSPECT_DORA_WORDS,
): string {
  return LOADERS.map((loader) => doraEffect(loader, axis, format, words).text).join('; ');
}

/** A module note on `count` DoRA modules with a magnitude along `axis` (e.g. `example`), as data. */
export interface DoraModuleNote {
  readonly axis: DoraAxis;
  readonly count: number;
  /** The first such module's magnitude key and shape. */
  readonly example: string;
  readonly shape: readonly number[];
  readonly format: LoraFormat;
}

function axisStored(axis: DoraAxis, words: DoraWayOutWords): string {
  if (axis === 'output rows') return 'stored per output row ([out, 1], PEFT / LyCORIS wd_on_out=True)';
  if (axis === 'input columns')
    return `stored per input column ([1, in], LyCORIS wd_on_out=False; PEFT cannot hold it: ${words.inputColumnsOnly})`;
  return 'of a shape that matches neither the output rows nor the input columns';
}

/** A DoRA module note worded, with what each loader does (its way out in `words`). */
export function doraModuleNoteText(
  note: DoraModuleNote,
  words: DoraWayOutWords = INSPECT_DORA_WORDS,
): string {
  const { axis, count, example, shape, format } = note;
  return `DoRA: ${count} module(s) have a magnitude ${axisStored(axis, words)} (e.g. ${example} ${JSON.stringify(shape)}): ${doraLoadersText(axis, format, words)}.`;
}

/**
 * `verdicts` with each loader that does not apply a DoRA magnitude of an axis found (`axes`, with the
 * module count) marked not ok, with a note naming the axis. A kohya file's diffusers verdict carries
 * checkDiffusers' key-only DIFFUSERS_DORA_NOTE ("dora_scale dropped"); it is replaced by these per-axis
 * notes, which also say whether the file's diffusers copy can keep the magnitude (per output row only).
 */
export function withDoraVerdicts(
  verdicts: readonly LoaderFindings[],
  axes: ReadonlyMap<DoraAxis, number>,
  format: LoraFormat,
): LoaderFindings[] {
  return verdicts.map((verdict) => {
    const kept =
      verdict.loader === 'diffusers' && format === 'kohya'
        ? verdict.notes.filter((note) => !(note.kind === 'text' && note.text === DIFFUSERS_DORA_NOTE))
        : verdict.notes;
    const notes = [...axes]
      .filter(([axis]) => !doraEffect(verdict.loader, axis, format).applied)
      .map(([axis, count]): VerdictNote => ({ kind: 'dora', loader: verdict.loader, axis, count, format }));
    return notes.length === 0 ? verdict : { ...verdict, ok: false, notes: [...kept, ...notes] };
  });
}

/** A DoRA verdict note: `count` modules with a magnitude along `axis`, and what the loader does (`effect`). */
export function doraNoteText(axis: DoraAxis, count: number, effect: string): string {
  return `DoRA: ${count} module(s) with a magnitude ${axisName(axis)}: ${effect}.`;
}

function axisName(axis: DoraAxis): string {
  if (axis === 'output rows') return 'per output row';
  if (axis === 'input columns') return 'per input column';
  return 'of an unknown shape';
}

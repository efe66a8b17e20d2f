// src/lora/loader-verdict.ts — the shape of a loader's verdict on a LoRA file (pure), the builder the
// A1111 and diffusers checks share, and the LyCORIS tensor parts the A1111 and ComfyUI checks (loader-a1111.ts, loader-comfyui.ts) both accept.

export type LoaderName = 'a1111' | 'comfyui' | 'diffusers';

export interface LoaderVerdict {
  readonly loader: LoaderName;
  readonly ok: boolean;
  readonly mappedKeys: number;
  readonly unmappedKeys: readonly string[];
  /** Whole-file problems (the loader refuses the file, or ignores it). */
  readonly notes: readonly string[];
}

/**
 * Why a loader loads nothing from a file: it holds no tensors at all (a header with only
 * `__metadata__`), or none of its keys maps to an SD1.5 module. Such a file is never ok.
 */
export function loadsNothingNote(loader: string, keyCount: number): string {
  return keyCount === 0
    ? `the file holds no tensors (only metadata): ${loader} loads nothing.`
    : `no key maps to an SD1.5 module: ${loader} loads nothing.`;
}

/**
 * The verdict of a loader that refuses or ignores part of a file for any unmapped key or whole-file
 * note (A1111, diffusers): ok only with neither, and with some key mapped. ComfyUI's check builds
 * its own (its only note is {@link loadsNothingNote}).
 */
export function strictVerdict<Note = string>(
  loader: LoaderName,
  keys: readonly string[],
  unmappedKeys: readonly string[],
  notes: readonly Note[],
): Omit<LoaderVerdict, 'notes'> & { readonly notes: readonly Note[] } {
  return {
    loader,
    ok: unmappedKeys.length === 0 && notes.length === 0 && keys.length > unmappedKeys.length,
    mappedKeys: keys.length - unmappedKeys.length,
    unmappedKeys,
    notes,
  };
}

/** LyCORIS LoKr parts (A1111 network_lokr.py `ModuleTypeLokr`, ComfyUI comfy/weight_adapter/lokr.py). */
export const LOKR_PARTS = [
  'lokr_w1',
  'lokr_w1_a',
  'lokr_w1_b',
  'lokr_w2',
  'lokr_w2_a',
  'lokr_w2_b',
  'lokr_t2',
];

/** LyCORIS LoHa parts (A1111 network_hada.py `ModuleTypeHada`, ComfyUI comfy/weight_adapter/loha.py). */
export const LOHA_PARTS = ['hada_w1_a', 'hada_w1_b', 'hada_w2_a', 'hada_w2_b', 'hada_t1', 'hada_t2'];

/** LyCORIS full-weight parts (A1111 network_full.py `ModuleTypeFull`, ComfyUI comfy/lora.py `load_lora`). */
export const FULL_PARTS = ['diff', 'diff_b'];

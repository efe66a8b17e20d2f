// web/src/components/lora-file-base.ts — the base a LoRA file says it was trained on (pure): an uploaded LoRA has
// no training job, but its kohya metadata (`ss_sd_model_name`) names the base; when the server has that base, the
// Generate form defaults to it instead of the server's default (which may be a base not downloaded at all).
import type { BaseModelChoice } from '../../../src/schemas/api.js';

/** The kohya metadata key of the base a LoRA was trained on (src/lora/kohya-metadata.ts writes it). */
const BASE_KEY = 'ss_sd_model_name';

/** The base named in a LoRA file's metadata, as the server knows it (its choice name), and whether it is there. */
export interface LoraFileBase {
  /** As the metadata names it. */
  named: string;
  /** The server's base of that name or alias, present on its disk; null when the server has none. */
  onServer: string | null;
}

/**
 * The base `metadata` (inspect's `metadata`, string -> string) names, matched against the server's bases by name or
 * alias (the metadata may name a path: its last part is tried too); null when it names none.
 */
export function loraFileBase(metadata: unknown, choices: readonly BaseModelChoice[]): LoraFileBase | null {
  const value = (metadata as Record<string, unknown> | null | undefined)?.[BASE_KEY];
  if (typeof value !== 'string' || !value.trim()) return null;
  const named = value.trim();
  const tail = named.split(/[\\/]/).pop() ?? named;
  const matches = (name: string) =>
    choices.find((c) => c.present && (c.name === name || c.aliases.includes(name)));
  const choice = matches(named) ?? matches(tail);
  return { named, onServer: choice?.name ?? null };
}

/** The line under the base field about the file's base: which one the form took, or why it did not. */
export function loraFileBaseNote(base: LoraFileBase, defaultBase: string): { text: string; warn: boolean } {
  if (base.onServer) {
    return {
      text: `Base ${base.onServer}: the one this LoRA file's metadata says it was trained on (on the server).`,
      warn: false,
    };
  }
  return {
    text: `This LoRA file's metadata names base ${base.named}, which the server does not have: it generates on ${defaultBase} unless you type another.`,
    warn: true,
  };
}

// src/jobs/lora-deleted-note.ts — the note a LoRA delete leaves in the run folder of the train job that made it
// (<data>/jobs/<jobId>/<name>/lora-deleted.json: the LoRA's id and name). src/server/routes/loras writes it before
// it removes any file, in the same synchronous step as the row's removal, so a resume sent while the removal runs
// (checkpoints/ half gone) or after a removal that left files is refused as one after it: the train runner and the
// remote board read the note, not what is left on disk, to say "the LoRA this job made was deleted". A job that
// starts over (no checkpoint) makes a new LoRA, so its run forgets the note.
import { existsSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/** The note's file name in the run folder (not one of the run weights the delete removes). */
export const LORA_DELETED_NOTE = 'lora-deleted.json';

/** Records in `runDir` that the LoRA `lora` it holds was deleted. Synchronous: no request runs between the row's
 * removal and this. Throws the write's error (the caller logs it). */
export function noteLoraDeleted(runDir: string, lora: { readonly id: string; readonly name: string }): void {
  writeFileSync(join(runDir, LORA_DELETED_NOTE), `${JSON.stringify({ id: lora.id, name: lora.name })}\n`);
}

/** Whether a LoRA delete left its note in `runDir` (its content is not needed: one cut short still says so). */
export function loraWasDeleted(runDir: string): boolean {
  return existsSync(join(runDir, LORA_DELETED_NOTE));
}

/** Removes the note (a run that starts over in `runDir`). */
export async function forgetLoraDeleted(runDir: string): Promise<void> {
  await rm(join(runDir, LORA_DELETED_NOTE), { force: true });
}

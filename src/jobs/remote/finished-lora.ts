// src/jobs/remote/finished-lora.ts — a finished LoRA this worker has not uploaded yet: before the first upload
// try, the job's folder gets a note (finished.json: the LoRA file, its steps and last loss, the job's params),
// removed once the server took it. When the server stays away past the retries or the lease is lost meanwhile, the
// note and the file stay: the next claim of the same job (a resume) uploads them instead of training again, and
// the folder is not cleared for a fresh start.
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { z } from 'zod';

const NOTE = 'finished.json';

const finishedNoteSchema = z.object({
  /** The kohya LoRA file, relative to the job's folder. */
  file: z.string().min(1),
  steps: z.number().int().min(0),
  lastLoss: z.number().nullable(),
  /** The job's params the LoRA was trained with (a claim with other params trains again). */
  params: z.string(),
});

export interface FinishedLora {
  /** Absolute path of the kohya LoRA file. */
  readonly file: string;
  readonly steps: number;
  readonly lastLoss: number | null;
}

/** Writes the note for `lora` in `jobDir` (under a temporary name first: a crash leaves none or a whole one). */
export async function keepFinished(jobDir: string, params: unknown, lora: FinishedLora): Promise<void> {
  const note = {
    file: relative(jobDir, lora.file),
    steps: lora.steps,
    lastLoss: lora.lastLoss,
    params: JSON.stringify(params),
  };
  const partial = join(jobDir, `.${NOTE}.partial`);
  await writeFile(partial, `${JSON.stringify(note, null, 2)}\n`);
  await rename(partial, join(jobDir, NOTE));
}

/** The LoRA kept in `jobDir` for a job with these params, when its note and file are there. */
export async function keptFinished(jobDir: string, params: unknown): Promise<FinishedLora | undefined> {
  let text: string;
  try {
    text = await readFile(join(jobDir, NOTE), 'utf8');
  } catch {
    return undefined;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const note = finishedNoteSchema.safeParse(raw);
  if (!note.success || note.data.params !== JSON.stringify(params)) return undefined;
  const file = resolve(jobDir, note.data.file);
  if (!existsSync(file)) return undefined;
  return { file, steps: note.data.steps, lastLoss: note.data.lastLoss };
}

/** The server took the LoRA: the note goes (the folder is an ordinary finished run folder again). */
export async function forgetFinished(jobDir: string): Promise<void> {
  await rm(join(jobDir, NOTE), { force: true });
}

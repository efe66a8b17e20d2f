// src/jobs/checkpoint-state.ts — frees what a finished train run no longer needs: each checkpoint's
// `training_state.pt` (optimizer, scheduler, scaler and RNG state, about twice the adapter), which only a
// resume reads, and a succeeded job cannot be resumed. The adapters stay (users compare them) until the run's
// LoRA is deleted: src/server/routes/loras/lora-files.ts removes checkpoints/ with it. The layout
// is the trainer's (trainer/toonlora_trainer/checkpoint.py), as src/worker/run-folder.ts reads it:
// <run>/checkpoints/step-NNNNNN/, written under `.step-NNNNNN.partial` first.
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes } from '../format-bytes.js';
import { CHECKPOINT_FOLDER, PARTIAL_CHECKPOINT_FOLDER, TRAINING_STATE_FILE } from '../worker/run-folder.js';

/** What removeResumeState freed: checkpoint folders touched and bytes removed. */
export interface ResumeStateRemoved {
  checkpoints: number;
  bytes: number;
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then(
    (s) => s.size,
    () => 0,
  );
}

/**
 * Removes `training_state.pt` from every `<runDir>/checkpoints/step-*` folder and any half-written
 * `.step-*.partial` folder; the adapter files stay. A run folder without checkpoints frees nothing.
 */
export async function removeResumeState(runDir: string): Promise<ResumeStateRemoved> {
  const root = join(runDir, 'checkpoints');
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const removed: ResumeStateRemoved = { checkpoints: 0, bytes: 0 };
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    if (PARTIAL_CHECKPOINT_FOLDER.test(entry.name)) {
      await rm(join(root, entry.name), { recursive: true, force: true });
      continue;
    }
    const state = join(root, entry.name, TRAINING_STATE_FILE);
    const bytes = CHECKPOINT_FOLDER.test(entry.name) ? await sizeOf(state) : 0;
    if (bytes === 0) continue;
    await rm(state, { force: true });
    removed.checkpoints += 1;
    removed.bytes += bytes;
  }
  return removed;
}

/** The job log line saying what removeResumeState freed, or undefined when it freed nothing. */
export function resumeStateRemovedMessage(removed: ResumeStateRemoved): string | undefined {
  if (removed.checkpoints === 0) return undefined;
  const folders = `${removed.checkpoints} checkpoint${removed.checkpoints === 1 ? '' : 's'}`;
  return `removed the resume-only training state (${TRAINING_STATE_FILE}, ${formatBytes(removed.bytes)}) of ${folders}: a finished job is not resumed; each checkpoint's adapter weights stay in checkpoints/.`;
}
